"""The yt-dlp sites as placeholders until the first load or stream needs one (issue 11: start-up).

Their names and search prefixes are what /v4/info and the registry's routing need at start; the site routers,
the managers and what they import (~70 ms) are built at the first `load_item` or `open_stream` of any of them, on
the yt-dlp executor, once for all of them (they share one runner). Until then nothing of `sources.ytdlp` but
this module is imported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import SourceManager, StreamSpec

# Lavalink's registration order of the sites (`factory.build_ytdlp_managers` builds them in this order).
SITE_NAMES = ("youtube", "soundcloud", "bandcamp", "twitch", "vimeo", "niconico")
# The sites' search prefixes (`sites.<name>.SEARCH_PREFIX`, and YouTube Music's).
YOUTUBE_SEARCH, YOUTUBE_MUSIC_SEARCH = "ytsearch:", "ytmsearch:"
SOUNDCLOUD_SEARCH, BANDCAMP_SEARCH = "scsearch:", "bcsearch:"


class DeferredSites:
    """Builds every enabled site's manager at once, on `executor`, when the first of them is used."""

    def __init__(self, names: Sequence[str], build: Callable[[], list[SourceManager]], executor: Executor) -> None:
        self.names = tuple(names)
        self._build = build
        self._executor = executor
        self._built: asyncio.Future[dict[str, SourceManager]] | None = None

    def placeholders(self) -> list[DeferredSite]:
        return [DeferredSite(name, self) for name in self.names]

    async def manager(self, name: str) -> SourceManager:
        if self._built is None or (self._built.done() and self._built.exception() is not None):
            self._built = asyncio.ensure_future(self._make())  # a failed build is retried by the next caller
        return (await asyncio.shield(self._built))[name]

    async def _make(self) -> dict[str, SourceManager]:
        managers = await asyncio.get_running_loop().run_in_executor(self._executor, self._build)
        by_name = {manager.name: manager for manager in managers}
        if tuple(by_name) != self.names:
            raise RuntimeError(f"yt-dlp sites built {tuple(by_name)}, expected {self.names}")
        return by_name


class DeferredSite:
    """One site's SourceManager until it is built, then the built one's answers."""

    def __init__(self, name: str, sites: DeferredSites) -> None:
        self._name = name
        self._sites = sites

    @property
    def name(self) -> str:
        return self._name

    async def load_item(self, identifier: str) -> LoadResult | None:
        return await (await self._sites.manager(self._name)).load_item(identifier)

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return await (await self._sites.manager(self._name)).open_stream(info)
