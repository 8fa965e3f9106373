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
    # Called (from any thread) when the server answers the open from `options["local_addr"]` with 429, with that
    # address and the retries done so far: the route planner marks it failing and names the address to open from
    # next (None: give up, the track fails).
    reroute: Callable[[str | None, int], str | None] | None = field(default=None, compare=False)
    # The URL is an HLS playlist (master or media). With a route planner its playlist and segments are fetched by
    # the node itself (`hls_file.HlsFile`), since FFmpeg's hls demuxer cannot bind its segment requests.
    hls: bool = False
    # A source that makes the bytes itself (a plugin) gives a file opener; PyAV then reads that file object, in a
    # worker thread, instead of `url` (kept for logs). What it raises ends the track as a broken stream would.
    open_file: Callable[[], BinaryIO] | None = field(default=None, compare=False)
    # With `open_file`: a file that starts near a later point (ms) of the same timeline, for a seek the file cannot
    # do itself (the node's HLS reader starts at the segment holding it). Timestamps must stay the media's own.
    open_file_at: Callable[[int], BinaryIO] | None = field(default=None, compare=False)


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
