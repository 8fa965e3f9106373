"""What a source manager is: it turns an identifier into tracks, and a track into something PyAV can open.

Managers are tried in registration order; the first whose `load_item` returns a result wins (Lavalink's order).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.track import TrackInfo


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """How to open a track's media: a URL or path for PyAV plus the options it needs."""

    url: str
    options: dict[str, str] = field(default_factory=dict)
    # Seconds until `url` stops working (signed CDN URLs); None = does not expire.
    expires_in_s: float | None = None
    is_live: bool = False
    # False when `url` is http(s) and its server ignores Range requests: the pipeline then reads it forwards
    # through `http_file.ForwardHttpFile`, since FFmpeg cannot seek such a body.
    seekable: bool = True
    # Called (from any thread) when the server answers the open with 429: the route planner marks the address
    # in `options["local_addr"]` failing, so the next open leaves from another one.
    on_rate_limited: Callable[[], None] | None = field(default=None, compare=False)
    # A source that makes the bytes itself (a plugin) gives a file opener; PyAV then reads that file object, in a
    # worker thread, instead of `url` (kept for logs). What it raises ends the track as a broken stream would.
    open_file: Callable[[], BinaryIO] | None = field(default=None, compare=False)


class SourceManager(Protocol):
    @property
    def name(self) -> str:
        """The `sourceName` of the tracks this manager makes."""
        ...

    async def load_item(self, identifier: str) -> LoadResult | None:
        """Resolve `identifier`; None means "not mine", so the next manager is asked."""
        ...

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        """Where to read the track's media from right now (may re-resolve expired URLs)."""
        ...
