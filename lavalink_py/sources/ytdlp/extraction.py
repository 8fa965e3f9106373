"""The one seam between the managers and yt-dlp: a blocking `extract(url, options) -> info dict`, run off the loop.

`Extract` is the third-party boundary: production uses `ytdlp_extract`; tests substitute recorded info dicts.
Exceptions that cross it are yt-dlp's own (`DownloadError` wrapping an `ExtractorError`), `TimeoutError` when a
call outlives `timeout_s`, or whatever a broken extractor raises; `errors.py` turns each into a Lavalink result.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

_log = logging.getLogger(__name__)

Extract = Callable[[str, Mapping[str, Any]], dict[str, Any]]

# Opus in WebM/Ogg can be passed through to Discord untouched; AAC in M4A is the next cheapest to decode.
# Our own key in the options dict (yt-dlp ignores keys it does not know): see `ytdlp_extract`.
SKIP_BAD_ENTRIES = "lavalink_skip_bad_entries"
AUDIO_FORMAT = "bestaudio[acodec=opus]/bestaudio[ext=m4a]/bestaudio/best"


@dataclass(frozen=True, slots=True)
class ExtractRequest:
    """What to ask yt-dlp for; `flat` keeps playlist entries as stubs (one request instead of one per entry)."""

    url: str
    flat: bool = False
    limit: int | None = None
    playlist: bool = False


class _QuietLogger:
    """yt-dlp reports every failure as an ERROR line; the manager already logs and answers it, so all goes to debug."""

    def debug(self, message: str) -> None:
        _log.debug("%s", message)

    def info(self, message: str) -> None:
        _log.debug("%s", message)

    def warning(self, message: str) -> None:
        _log.debug("yt-dlp warning: %s", message)

    def error(self, message: str) -> None:
        _log.debug("yt-dlp error: %s", message)


_QUIET_LOGGER = _QuietLogger()


def ydl_options(request: ExtractRequest, *, socket_timeout_s: float) -> dict[str, Any]:
    return {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "skip_download": True,
        "cachedir": False,
        "logger": _QUIET_LOGGER,
        "socket_timeout": socket_timeout_s,
        "format": AUDIO_FORMAT,
        "check_formats": False,
        "extractor_retries": 1,
        "noplaylist": not request.playlist,
        "extract_flat": "in_playlist" if request.flat else False,
        "lazy_playlist": False,
        "ignoreerrors": False,
        # Always present, even when None: a reused YoutubeDL would otherwise keep the last search's limit.
        "playlistend": request.limit,
        SKIP_BAD_ENTRIES: request.playlist,
    }


_per_thread = threading.local()


def _youtube_dl(params: dict[str, Any]) -> Any:
    """One YoutubeDL per worker thread, reused: building one costs ~60 ms of CPU (it registers ~1,700 extractors)
    and holds the GIL meanwhile. yt-dlp's CLI likewise runs many URLs through one instance; instances are not
    thread-safe, hence one per thread. Every option we set is set again on each call."""
    from yt_dlp import YoutubeDL

    ydl = getattr(_per_thread, "ydl", None)
    if ydl is None or ydl.params.get("format") != params.get("format"):
        ydl = YoutubeDL(params)
        _prefer_isrc_soundcloud(ydl)
        _per_thread.ydl = ydl
    else:
        ydl.params.update(params)
    return ydl


def warm_up(options: Mapping[str, Any]) -> None:
    """Import yt-dlp's ~1,700 extractors (about a second, once per process) before the first user waits for it."""
    params = dict(options)
    params.pop(SKIP_BAD_ENTRIES, None)
    _youtube_dl(params)


def ytdlp_extract(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(options)
    skip_bad_entries = bool(params.pop(SKIP_BAD_ENTRIES, False))
    ydl = _youtube_dl(params)
    # Two steps so the playlist itself still fails loudly (private, missing) while, once it is known to
    # exist, one unavailable entry is skipped instead of failing the album: `ignoreerrors` swallows both.
    info = ydl.extract_info(url, download=False, process=False)
    skipped: list[BaseException] = []
    if skip_bad_entries and isinstance(info, dict) and info.get("_type") == "playlist":
        ydl.params["ignoreerrors"] = True
        info = _process_keeping_errors(ydl, info, skipped)
    else:
        info = ydl.process_ie_result(info, download=False)
    if skipped and isinstance(info, dict) and not any(entry is not None for entry in info.get("entries") or ()):
        # Every entry failed, or the pages listing them did (a search without network): that is the playlist
        # failing, not an empty one; a failure must never answer `empty`.
        raise skipped[-1]
    if info is None:
        raise LookupError(f"yt-dlp returned nothing for {url}")
    sanitized: dict[str, Any] = ydl.sanitize_info(info)
    return sanitized


def _process_keeping_errors(ydl: Any, info: dict[str, Any], errors: list[BaseException]) -> Any:
    """`process_ie_result` with `ignoreerrors`, keeping each exception yt-dlp reports and swallows."""
    trouble = ydl.trouble

    def keep(message: str | None = None, tb: str | None = None, is_error: bool = True) -> None:
        current = sys.exception()
        if is_error and current is not None:
            errors.append(current)
        trouble(message, tb, is_error)

    ydl.trouble = keep
    try:
        return ydl.process_ie_result(info, download=False)
    finally:
        del ydl.trouble  # the instance is reused by this thread: back to the class's method


@functools.cache
def isrc_soundcloud_extractor() -> type[Any]:
    """A SoundCloud extractor that keeps `publisher_metadata.isrc`, which yt-dlp reads but drops.

    Only track pages and sets go through it; yt-dlp's search extractor maps its results on its own.
    """
    from yt_dlp.extractor.soundcloud import SoundcloudIE

    class IsrcSoundcloudIE(SoundcloudIE):  # type: ignore[misc]
        @classmethod
        def ie_key(cls) -> str:
            key: str = SoundcloudIE.ie_key()
            return key

        def _extract_info_dict(self, info: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
            result: dict[str, Any] = super()._extract_info_dict(info, *args, **kwargs)
            isrc = (info.get("publisher_metadata") or {}).get("isrc")
            if isinstance(isrc, str) and isrc.strip():
                result["isrc"] = isrc.strip()
            return result

    return IsrcSoundcloudIE


def _prefer_isrc_soundcloud(ydl: Any) -> None:
    # Same key as the stock extractor, so it replaces it in place and keeps its position in the search order.
    ydl.add_info_extractor(isrc_soundcloud_extractor()())


class YtdlpRunner:
    """Runs `extract` on a bounded executor so a slow site never blocks the event loop."""

    def __init__(
        self,
        executor: Executor,
        extract: Extract = ytdlp_extract,
        *,
        timeout_s: float = 30.0,
        socket_timeout_s: float = 10.0,
    ) -> None:
        self._executor = executor
        self._extract = extract
        self._timeout_s = timeout_s
        self._socket_timeout_s = socket_timeout_s
        self.calls = 0
        self.failures = 0

    async def warm_up(self) -> None:
        """Optional, at start-up: pays yt-dlp's one-time import cost on a worker thread instead of a first request."""
        options = ydl_options(ExtractRequest(""), socket_timeout_s=self._socket_timeout_s)
        await asyncio.get_running_loop().run_in_executor(self._executor, warm_up, options)

    async def run(self, request: ExtractRequest) -> dict[str, Any]:
        options = ydl_options(request, socket_timeout_s=self._socket_timeout_s)
        loop = asyncio.get_running_loop()
        self.calls += 1
        try:
            future = loop.run_in_executor(self._executor, self._extract, request.url, options)
            return await asyncio.wait_for(future, self._timeout_s)
        except BaseException:
            self.failures += 1
            raise
