"""One mirror source manager per service: its catalog answers identifiers with metadata; playback goes through the
mirror (the player asks the source that made a track to open it, so the mirror is looked up then)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from lavalink_py.bundled.lavasrc.cache import TtlCache
from lavalink_py.bundled.lavasrc.mirror import MirrorResolver, mirror_key
from lavalink_py.bundled.lavasrc.tracks import ServiceList, ServiceTrack, to_playlist, to_track
from lavalink_py.bundled.lavasrc.web import ServiceHttpError
from lavalink_py.plugins.api import (
    FallbackStats,
    FriendlyError,
    LoadResult,
    NoMatches,
    SearchLoaded,
    StreamSpec,
    TrackInfo,
    TrackLoaded,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Search:
    tracks: list[ServiceTrack]


CatalogResult = ServiceTrack | ServiceList | Search | None  # None: nothing there


class Catalog(Protocol):
    """A service's metadata API. `claims` says whether an identifier is its (a URL of its, one of its prefixes)."""

    @property
    def name(self) -> str: ...

    @property
    def prefixes(self) -> tuple[str, ...]: ...

    def claims(self, identifier: str) -> bool: ...

    async def lookup(self, identifier: str) -> CatalogResult: ...


def to_load_result(source_name: str, found: CatalogResult) -> LoadResult:
    match found:
        case None:
            return NoMatches()
        case ServiceTrack():
            return TrackLoaded(to_track(source_name, found))
        case ServiceList():
            return to_playlist(source_name, found) if found.tracks else NoMatches()
        case Search(tracks=tracks):
            return SearchLoaded([to_track(source_name, t) for t in tracks]) if tracks else NoMatches()


class MirrorSource:
    def __init__(
        self,
        catalog: Catalog,
        resolver: MirrorResolver,
        open_mirror: Callable[[TrackInfo], Awaitable[StreamSpec]],
        results: TtlCache[str, LoadResult],
        stats: FallbackStats,
    ) -> None:
        self._catalog = catalog
        self._resolver = resolver
        self._open_mirror = open_mirror
        self._results = results
        self._stats = stats

    @property
    def name(self) -> str:
        return self._catalog.name

    async def load_item(self, identifier: str) -> LoadResult | None:
        if not self._catalog.claims(identifier):
            return None
        cached = self._results.get(identifier)
        if cached is not None:
            self._stats.cache_hit(self.name)
            return cached
        self._stats.cache_miss(self.name)
        try:
            found = await self._catalog.lookup(identifier)
        except ServiceHttpError as exc:
            if exc.status in (400, 404):
                return NoMatches()
            raise FriendlyError(f"{self.name} could not be reached or refused the request", "suspicious",
                                cause=f"{type(exc).__name__}: {exc}") from None
        result = to_load_result(self.name, found)
        self._results.put(identifier, result)
        return result

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        """Open the mirror; one that cannot be opened (a removed video) is set aside and the next match is tried,
        from the same provider's other results or the next provider, until none is left (FriendlyError)."""
        failed: set[tuple[str, str]] = set()
        while True:
            mirror = await self._resolver.resolve(info, frozenset(failed))
            try:
                return await self._open_mirror(mirror.info)
            except Exception as exc:
                log.warning("lavasrc: mirror %s of %s %s could not be opened (%s: %s); trying the next",
                            mirror.info.uri or mirror.info.identifier, self.name, info.identifier,
                            type(exc).__name__, exc)
                self._resolver.forget(info)
                failed.add(mirror_key(mirror))
