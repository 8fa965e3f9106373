"""The SourceManager shared by every yt-dlp site: route, extract off the loop, map, and cache stream URLs.

load_item:   route(identifier) -> None (not ours) | extract (flat for lists) -> Track/Playlist/Search result;
             every failure becomes `LoadFailed`/`NoMatches`, nothing escapes.
open_stream: cached URL while it is valid, else one extraction of the track's page (concurrent callers for
             the same track share it) -> best audio format -> StreamSpec; failures raise `FriendlyError`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, assert_never

from lavalink_py.protocol.load_result import (
    FriendlyError,
    LoadFailed,
    LoadResult,
    NoMatches,
    PlaylistLoaded,
    SearchLoaded,
    TrackLoaded,
)
from lavalink_py.protocol.track import Track, TrackInfo
from lavalink_py.protocol.track_codec import encode_track
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.ytdlp import mapping
from lavalink_py.sources.ytdlp.errors import friendly_error, load_failure
from lavalink_py.sources.ytdlp.extraction import ExtractRequest, YtdlpRunner
from lavalink_py.sources.ytdlp.site import Collection, Nothing, Route, Search, Single, Site, entry_key, rebase
from lavalink_py.sources.ytdlp.streams import ResolvedStream, StreamCache, choose_stream

_log = logging.getLogger(__name__)

Clock = Callable[[], float]


def make_track(info: TrackInfo) -> Track:
    return Track(encode_track(info), info)


def _live_if_track_is(info: TrackInfo, stream: ResolvedStream) -> ResolvedStream:
    # The track says live (a Twitch channel, or Lavalink's own encoding) even where the page did not.
    return replace(stream, is_live=True) if info.is_stream and not stream.is_live else stream


class YtdlpSourceManager:
    def __init__(
        self,
        site: Site,
        runner: YtdlpRunner,
        *,
        base_url: str | None = None,
        cache: StreamCache | None = None,
        clock: Clock = time.time,
        playlist_limit: int | None = None,
    ) -> None:
        self.site = site
        # Lavalink's `playlistLoadLimit` (pages of 100): a 5,000-video playlist should not take 50 page fetches.
        self._playlist_limit = playlist_limit
        self.runner = runner
        self._base_url = base_url
        self.cache = cache if cache is not None else StreamCache()
        self._clock = clock
        self._resolving: dict[str, asyncio.Future[StreamSpec]] = {}

    @property
    def name(self) -> str:
        return self.site.name

    async def load_item(self, identifier: str) -> LoadResult | None:
        route = self.site.route(identifier.strip())
        if route is None:
            return None
        try:
            return await self._load(route)
        except FriendlyError as error:
            return LoadFailed(error)
        except Exception as exc:  # yt-dlp and its extractors raise anything; the client gets a result either way
            _log.info("%s: loading %r failed: %s", self.name, identifier, exc)
            return load_failure(exc, self.site.failure_message)

    async def _load(self, route: Route) -> LoadResult:
        match route:
            case Nothing():
                return NoMatches()
            case Search():
                request = ExtractRequest(route.query, flat=route.flat, limit=route.offset + route.limit, playlist=True,
                                        search=True)
                found = self._tracks(await self.runner.run(request))[route.offset :]
                return SearchLoaded(found) if found else NoMatches()
            case Single():
                info = await self.runner.run(ExtractRequest(rebase(route.url, self._base_url)))
                if info.get("_type") == "playlist":
                    return self._playlist(info, None)
                return self._single(info, route.key)
            case Collection():
                url = rebase(route.url, self._base_url)
                request = ExtractRequest(url, flat=route.flat, limit=self._playlist_limit, playlist=True)
                return self._playlist(await self.runner.run(request), route.selected_key)
            case _:
                assert_never(route)

    def _single(self, info: Mapping[str, Any], key: str | None) -> LoadResult:
        track = self._track(info, key or entry_key(info))
        return NoMatches() if track is None else TrackLoaded(track)

    def _track(self, entry: Mapping[str, Any], key: str | None) -> Track | None:
        track_info = self.site.track_info(entry, key)
        if track_info is None:
            return None
        stream = choose_stream(entry) if entry.get("formats") else None
        if stream is not None:
            # The extraction that found the track also resolved its media: the play that usually follows is free.
            self.cache.put(self._cache_key(track_info), _live_if_track_is(track_info, stream), self._clock())
        return make_track(track_info)

    def _tracks(self, info: Mapping[str, Any]) -> list[Track]:
        tracks = (self._track(entry, entry_key(entry)) for entry in mapping.entries(info))
        return [track for track in tracks if track is not None]

    def _playlist(self, info: Mapping[str, Any], selected_key: str | None) -> LoadResult:
        tracks = self._tracks(info)
        if not tracks:
            return NoMatches()
        selected = -1
        if selected_key is not None:
            selected = next((i for i, t in enumerate(tracks) if t.info.identifier == selected_key), -1)
        name = mapping.text(info, "title", "playlist_title", "album") or "Unknown playlist"
        return PlaylistLoaded(name, tracks, selected)

    def _cache_key(self, info: TrackInfo) -> str:
        return f"{info.identifier}\n{info.uri or ''}"

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        # The media request leaves from the route planner's address too (the cached spec stays unbound).
        return await self.runner.outbound.routed_stream(await self._stream(info))

    async def _stream(self, info: TrackInfo) -> StreamSpec:
        key = self._cache_key(info)
        cached = self.cache.get(key, self._clock())
        if cached is not None:
            return cached
        pending = self._resolving.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._resolve(info, key))
            self._resolving[key] = pending
            pending.add_done_callback(lambda done: self._resolved(key, done))
        # Shielded: one caller giving up must not cancel the extraction the others are waiting for.
        return await asyncio.shield(pending)

    def _resolved(self, key: str, done: asyncio.Future[StreamSpec]) -> None:
        self._resolving.pop(key, None)
        if not done.cancelled():
            # Every waiter may have gone; the failure was logged in `_resolve`, so mark it seen.
            done.exception()

    async def _resolve(self, info: TrackInfo, key: str) -> StreamSpec:
        url = rebase(self.site.page_url(info), self._base_url)
        try:
            resolved = await self.runner.run(ExtractRequest(url))
        except Exception as exc:
            _log.info("%s: resolving %r failed: %s", self.name, url, exc)
            raise friendly_error(exc, self.site.failure_message) from exc
        stream = choose_stream(resolved)
        if stream is None:
            raise FriendlyError("No playable audio format was found.", "suspicious",
                                f"no usable format among {len(resolved.get('formats') or ())} for {url}")
        return self.cache.put(key, _live_if_track_is(info, stream), self._clock())
