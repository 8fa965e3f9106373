"""Turning a service's track (no audio of its own) into a playable one: `plugins.lavasrc.providers` in order.

Each provider is an identifier template (`ytsearch:"%ISRC%"`, `ytsearch:%QUERY%`, `scsearch:%QUERY%`, even an
`http://…/%ISRC%.mp3` link) loaded through the node's sources. A provider whose load fails, raises or yields nothing
that matches (matching.py) passes to the next; a template with %ISRC% is skipped for a track without one. Found
mirrors are cached per service track; each lookup bumps the node's fallback counters (conversions by result, search
time, cache hits and misses) under the service's name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from lavalink_py.bundled.lavasrc.cache import TtlCache
from lavalink_py.bundled.lavasrc.config import ISRC_PATTERN, QUERY_PATTERN
from lavalink_py.bundled.lavasrc.matching import Wanted, best_match
from lavalink_py.plugins.api import (
    FallbackStats,
    FriendlyError,
    LoadFailed,
    LoadResult,
    PlaylistLoaded,
    SearchLoaded,
    Track,
    TrackInfo,
    TrackLoaded,
)

log = logging.getLogger(__name__)


def query_of(info: TrackInfo) -> str:
    # LavaSrc's: the title, then the author unless it is "unknown".
    return info.title if info.author in ("", "unknown") else f"{info.title} {info.author}"


def mirror_key(track: Track) -> tuple[str, str]:
    return track.info.source_name, track.info.identifier


def tracks_of(result: LoadResult) -> list[Track]:
    match result:
        case TrackLoaded(track=track):
            return [track]
        case SearchLoaded(tracks=tracks) | PlaylistLoaded(tracks=tracks):
            return list(tracks)
        case _:
            return []


class MirrorResolver:
    def __init__(
        self,
        providers: Sequence[str],
        load: Callable[[str], Awaitable[LoadResult]],
        stats: FallbackStats,
        cache: TtlCache[tuple[str, str], Track],
        *,
        tolerance_ms: int,
        own_prefixes: Sequence[str] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._providers = list(providers)
        self._load = load
        self._stats = stats
        self._cache = cache
        self._tolerance_ms = tolerance_ms
        self._own = tuple(own_prefixes)
        self._clock = clock

    def identifiers(self, info: TrackInfo) -> list[tuple[str, bool]]:
        """The providers filled in for `info`, each with whether it searched by ISRC."""
        out = []
        for template in self._providers:
            if template.startswith(self._own):
                continue  # a mirror source searching itself would never reach audio (LavaSrc refuses it too)
            by_isrc = ISRC_PATTERN in template
            if by_isrc and not info.isrc:
                continue
            out.append((template.replace(ISRC_PATTERN, info.isrc or "").replace(QUERY_PATTERN, query_of(info)),
                        by_isrc))
        return out

    def forget(self, info: TrackInfo) -> None:
        self._cache.pop((info.source_name, info.identifier))

    async def resolve(self, info: TrackInfo, exclude: frozenset[tuple[str, str]] = frozenset()) -> Track:
        """The playable track standing in for `info`; FriendlyError when no provider has one. `exclude`: mirrors
        (sourceName, identifier) that could not be opened, not to be chosen again."""
        service, key = info.source_name, (info.source_name, info.identifier)
        cached = self._cache.get(key)
        if cached is not None and mirror_key(cached) not in exclude:
            self._stats.cache_hit(service)
            return cached
        self._stats.cache_miss(service)
        started = self._clock()
        wanted = Wanted.of(info)
        tried: list[str] = []
        for identifier, by_isrc in self.identifiers(info):
            try:
                result = await self._load(identifier)
            except Exception as exc:  # a provider's source that raises is one failed provider, not a failed track
                log.warning("lavasrc: provider %r raised %s: %s; trying the next", identifier, type(exc).__name__, exc)
                tried.append(f"{identifier} (raised)")
                continue
            if isinstance(result, LoadFailed):
                log.warning("lavasrc: provider %r failed: %s; trying the next", identifier, result.error.message)
                tried.append(f"{identifier} (failed: {result.error.message})")
                continue
            candidates = [t for t in tracks_of(result) if mirror_key(t) not in exclude]
            found = best_match(wanted, candidates, tolerance_ms=self._tolerance_ms, by_isrc=by_isrc)
            if found is None:
                tried.append(f"{identifier} (no match)")
                continue
            self._cache.put(key, found)
            self._stats.conversion(service, "success", self._clock() - started)
            log.debug("lavasrc: %s %s mirrored by %s (%s)", service, info.identifier, found.info.uri, identifier)
            return found
        self._stats.conversion(service, "failure", self._clock() - started)
        raise FriendlyError(
            f"No playable mirror found for {info.title} by {info.author}", "common",
            cause="tried: " + ("; ".join(tried) or "no provider applies (plugins.lavasrc.providers)"),
        )
