"""Credentials as the client sent them: header bytes, the server password, Basic credentials for /metrics.

aiohttp decodes header bytes as UTF-8 with `surrogateescape`, so a header that is not UTF-8 reaches us as a str
holding lone surrogates; `header_bytes` recovers the bytes on the wire. Passwords are compared as bytes (the
password's UTF-8 against those bytes), so no header can make a comparison raise: bytes that are not the password
are a wrong password (Lavalink: 403 on REST, 401 at the WebSocket handshake), never a 500.

Failed attempts are counted by route template and reason (`lavalink_auth_failures_total`) and logged at most
once per `AuthWarnings.interval_s`, with how many were left out, so a client without credentials polling the
node cannot flood the log.
"""

from __future__ import annotations

import hmac
from typing import Literal

from lavalink_py.metrics.handlers import basic_auth_matches, basic_credentials

AuthFailure = Literal["missing", "wrong"]


def header_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def password_matches(supplied: str | None, password: str | None) -> bool:
    if supplied is None or password is None:
        return False
    return hmac.compare_digest(header_bytes(supplied), password.encode())


def metrics_authorized(header: str | None, username_password: tuple[str, str] | None, password: str | None) -> bool:
    """/metrics: its own Basic credentials when configured, else the server password raw or as Basic's secret."""
    if header is None:
        return False
    if username_password is not None:
        return basic_auth_matches(header, *username_password)
    if password is None:
        return False
    if password_matches(header, password):
        return True
    credentials = basic_credentials(header)
    return credentials is not None and hmac.compare_digest(credentials[1], password.encode())


class AuthWarnings:
    """Rate limit for the failed-authentication warning: `should_log(now)` is None while quiet, else how many
    warnings were left out since the last one logged. `now` is a monotonic time in seconds, given by the caller."""

    def __init__(self, interval_s: float = 60.0) -> None:
        self.interval_s = interval_s
        self._last: float | None = None
        self._suppressed = 0

    def should_log(self, now: float) -> int | None:
        if self._last is not None and now - self._last < self.interval_s:
            self._suppressed += 1
            return None
        self._last, suppressed, self._suppressed = now, self._suppressed, 0
        return suppressed
