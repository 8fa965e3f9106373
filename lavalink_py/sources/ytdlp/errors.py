"""How a failed yt-dlp extraction is reported to a Lavalink client.

yt-dlp raises `DownloadError` whose `exc_info` holds the extractor's `ExtractorError`; that in turn may carry a
networking `cause`. Lavaplayer's severities are kept:
- common: the site answered and said no (private, removed, geo-blocked, login required);
- suspicious: the site answered something we did not expect (HTTP 5xx, a page yt-dlp could not parse, a bot check);
- fault: anything else (connection refused, timeouts, a bug in an extractor).
Some failures are not errors in Lavalink's eyes: a 404 page or an offline Twitch channel load as "empty".
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, NoMatches, Severity

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# yt-dlp quotes a site's own refusal as "YouTube said: ..."; the client wants the site's words alone.
_SAID = re.compile(r"^[\w .-]{1,40} said: ")

# Checked in order; the first pattern found in yt-dlp's message decides the text a client sees.
_KNOWN_REASONS: tuple[tuple[re.Pattern[str], str | None, Severity], ...] = (
    (re.compile(r"private video", re.I), "This is a private video.", "common"),
    (re.compile(r"confirm your age|inappropriate for some users", re.I), "This video requires age verification.",
     "suspicious"),
    (re.compile(r"not a bot", re.I), "This video cannot be loaded.", "suspicious"),
    (re.compile(r"members[- ]only|join this channel", re.I), "This video requires login.", "common"),
    (re.compile(r"premieres in|live event will begin|upcoming", re.I), None, "common"),
    (re.compile(r"unavailable|not available|removed|terminated|copyright|blocked", re.I), None, "common"),
)


@dataclass(frozen=True, slots=True)
class _Unwrapped:
    error: BaseException
    message: str


def _unwrap(exc: BaseException) -> _Unwrapped:
    from yt_dlp.utils import DownloadError, ExtractorError

    inner = exc
    if isinstance(exc, DownloadError) and exc.exc_info and exc.exc_info[1] is not None:
        inner = exc.exc_info[1]
    if isinstance(inner, ExtractorError):
        return _Unwrapped(inner, _SAID.sub("", _ANSI.sub("", inner.orig_msg).strip()))
    text = _ANSI.sub("", str(inner)).removeprefix("ERROR: ").strip()
    return _Unwrapped(inner, text or type(inner).__name__)


def _http_status(error: BaseException) -> int | None:
    from yt_dlp.networking.exceptions import HTTPError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, HTTPError):
            return int(current.status)
        current = getattr(current, "cause", None) or current.__cause__
    return None


def _is_network_failure(error: BaseException) -> bool:
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    current: BaseException | None = error
    for _ in range(8):
        if current is None:
            return False
        if isinstance(current, TransportError) and not isinstance(current, HTTPError):
            return True
        if isinstance(current, (TimeoutError, ConnectionError)):
            return True
        current = getattr(current, "cause", None) or current.__cause__
    return False


def is_not_found(exc: BaseException) -> bool:
    """A missing page or an offline channel: Lavalink answers `empty`, not `error`."""
    from yt_dlp.utils import UserNotLive

    unwrapped = _unwrap(exc)
    return isinstance(unwrapped.error, UserNotLive) or _http_status(unwrapped.error) == 404


def friendly_error(exc: BaseException, site_message: str) -> FriendlyError:
    """`site_message` is the manager's own wording for an unexplained failure (lavaplayer's, per source)."""
    from yt_dlp.utils import ExtractorError, UnsupportedError

    unwrapped = _unwrap(exc)
    error, text = unwrapped.error, unwrapped.message
    cause = f"{type(error).__name__}: {text}"
    stack = "".join(traceback.format_exception(error))
    status = _http_status(error)
    if _is_network_failure(error) or isinstance(error, TimeoutError):
        return FriendlyError(site_message, "fault", cause, stack)
    if status is not None:
        return FriendlyError(site_message, "common" if status == 410 else "suspicious", cause, stack)
    for pattern, message, known_severity in _KNOWN_REASONS:
        if pattern.search(text):
            return FriendlyError(message or _as_sentence(text), known_severity, cause, stack)
    if isinstance(error, ExtractorError):
        # An unsupported page where the site's page should be is an unexpected response, not the user's fault.
        if error.expected and not isinstance(error, UnsupportedError):
            return FriendlyError(_as_sentence(text), "common", cause, stack)
        return FriendlyError(site_message, "suspicious", cause, stack)
    return FriendlyError(site_message, "fault", cause, stack)


def load_failure(exc: BaseException, site_message: str) -> LoadResult:
    if is_not_found(exc):
        return NoMatches()
    return LoadFailed(friendly_error(exc, site_message))


def _as_sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."
