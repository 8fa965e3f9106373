"""yt-dlp-backed source managers: YouTube (+ Music), SoundCloud, Bandcamp, Twitch, Vimeo, Niconico.

`build_ytdlp_managers(...)` is what the application calls (through `deferred.DeferredSites`, at the first load);
the modules below it: extraction (the yt-dlp seam, run on an executor) -> site/sites (routing and field mapping
per site) -> manager (LoadResult and StreamSpec) with errors (FriendlyError severities) and streams (format
choice, expiry). The names below load on first access, so importing a submodule (`deferred`) loads no other.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lavalink_py.sources.ytdlp.extraction import Extract, ExtractRequest, YtdlpRunner, ytdlp_extract
    from lavalink_py.sources.ytdlp.factory import BandcampSourceManager, build_ytdlp_managers, warm_up_ytdlp
    from lavalink_py.sources.ytdlp.manager import YtdlpSourceManager
    from lavalink_py.sources.ytdlp.streams import StreamCache

_HOMES = {
    "Extract": "extraction",
    "ExtractRequest": "extraction",
    "YtdlpRunner": "extraction",
    "ytdlp_extract": "extraction",
    "BandcampSourceManager": "factory",
    "build_ytdlp_managers": "factory",
    "warm_up_ytdlp": "factory",
    "YtdlpSourceManager": "manager",
    "StreamCache": "streams",
}

__all__ = [
    "BandcampSourceManager",
    "Extract",
    "ExtractRequest",
    "StreamCache",
    "YtdlpRunner",
    "YtdlpSourceManager",
    "build_ytdlp_managers",
    "warm_up_ytdlp",
    "ytdlp_extract",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
