"""Requests aiohttp cannot parse (garbage, an oversized line, a bad header): one rate-limited line and a count.

aiohttp answers such a request itself, with a 400 and before any middleware runs, and logs each one through its
request handler's `logger` (`aiohttp.server`) with `logger.exception`: a full ERROR traceback per request, so a
client sending garbage in a loop floods the log. build_app hands aiohttp this object as that logger (through the
Application's `handler_args`). A parse error, aiohttp's HttpProcessingError family, is counted in
`lavalink_http_bad_requests_total{reason}` and logged as one WARNING line without traceback, at most once per
interval with how many were left out; anything else (a handler's unhandled exception, aiohttp's own debug lines)
goes to `aiohttp.server` unchanged, traceback included. aiohttp's answer (400, connection closed) is untouched.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadEncodingError,
)

from lavalink_py.api.auth import AuthWarnings
from lavalink_py.metrics.counters import HttpStats

log = logging.getLogger(__name__)
AIOHTTP_SERVER = logging.getLogger("aiohttp.server")
MAX_DETAIL_CHARS = 160  # of the parser's message: the line names what was wrong, not the client's whole payload


def bad_request_reason(exc: HttpProcessingError) -> str:
    """The metric's `reason`: a small fixed set, whatever the parser (C or Python) raised."""
    if isinstance(exc, BadHttpMethod):  # before BadStatusLine, its base: TLS or other protocols sent to this port
        return "method"
    if isinstance(exc, BadStatusLine):
        return "request_line"
    if isinstance(exc, LineTooLong):
        return "line_too_long"
    if isinstance(exc, InvalidHeader):
        return "header"
    if isinstance(exc, InvalidURLError):
        return "url"
    if isinstance(exc, PayloadEncodingError):
        return "body"
    return "message"


def one_line(text: str) -> str:
    """The parser's message spans lines (it draws a caret under the bad byte): collapsed and cut to one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_DETAIL_CHARS else flat[: MAX_DETAIL_CHARS - 1] + "…"


class BadRequestLog:
    """Stands in for aiohttp.server as aiohttp's RequestHandler `logger` (it calls debug() and exception())."""

    def __init__(self, stats: HttpStats, warnings: AuthWarnings) -> None:
        self._stats, self._warnings = stats, warnings

    def exception(self, msg: object, *args: object, exc_info: Any = True, **kwargs: Any) -> None:
        if not self._parse_error(exc_info, args):
            AIOHTTP_SERVER.exception(msg, *args, exc_info=exc_info, **kwargs)

    def debug(self, msg: object, *args: object, exc_info: Any = None, **kwargs: Any) -> None:
        # aiohttp logs a BadHttpMethod on a connection's first request at DEBUG (its guess: TLS to a plain port):
        # counted like the others, so the metric sees every refused request.
        if not self._parse_error(exc_info, args):
            AIOHTTP_SERVER.debug(msg, *args, exc_info=exc_info, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(AIOHTTP_SERVER, name)  # anything else aiohttp may call: the real logger's

    def _parse_error(self, exc: object, args: tuple[object, ...]) -> bool:
        if not isinstance(exc, HttpProcessingError):
            return False
        reason = bad_request_reason(exc)
        self._stats.bad_request(reason)
        suppressed = self._warnings.should_log(time.monotonic())
        if suppressed is not None:
            remote = args[0] if args else None  # aiohttp's "Error handling request from %s", request.remote
            left_out = f" ({suppressed} more since the last such line)" if suppressed else ""
            log.warning(
                "Unparsable HTTP request from %s answered %s (%s): %s%s",
                remote,
                exc.code,
                reason,
                one_line(exc.message),
                left_out,
            )
        return True
