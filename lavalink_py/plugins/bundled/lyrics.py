"""LavaLyrics' REST routes (github:topi314/LavaLyrics), as the JVM plugin `lavalyrics-plugin` answers them.

- `GET /v4/lyrics?track=<encoded>&skipTrackSource=<bool>`: lyrics for an encoded track;
- `GET /v4/sessions/{sessionId}/players/{guildId}/track/lyrics?skipTrackSource=<bool>`: for the playing track
  (404 when the session, the player or its track is missing).

Both answer LavaLyrics' lyrics object, or 204 when nothing has lyrics for the track. Where they come from, in order:
the track's own source when it implements `LyricsSource` (unless `skipTrackSource=true`), then each name in
`plugins.lavalyrics.sources`: `lrclib` is LRCLIB (synced lyrics, `plugins.lavalyrics.lrclib.baseUrl`), any other
name a registered source implementing `LyricsSource`; then every other source implementing it (LavaLyrics asks every
registered lyrics manager: the lavasrc-plugin's Spotify and Deezer with `lyrics-sources`). A provider that fails is
logged and the next one asked.
Live lyrics (`POST/DELETE .../lyrics/subscribe`, LyricsFoundEvent / LyricsNotFoundEvent / LyricsLineEvent) are in
lyrics_live.py.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from aiohttp import web

from lavalink_py import __version__
from lavalink_py.plugins.api import (
    PluginContext,
    RequestError,
    Track,
    TrackDecodeError,
    decode_track,
    make_track,
)
from lavalink_py.plugins.bundled.lrclib import USER_AGENT, LrclibClient
from lavalink_py.plugins.bundled.lyrics_live import LiveLyrics
from lavalink_py.plugins.bundled.lyrics_model import Lyrics, LyricsSource, lyrics_json

log = logging.getLogger(__name__)

LRCLIB = "lrclib"


@dataclass(frozen=True, slots=True)
class LrclibConfig:
    base_url: str = "https://lrclib.net"
    timeout_ms: int = 10_000


@dataclass(frozen=True, slots=True)
class LyricsConfig:
    sources: tuple[str, ...] = (LRCLIB,)  # LavaLyrics' `sources`: the order providers are asked in
    lrclib: LrclibConfig = field(default_factory=LrclibConfig)
    poll_interval_ms: int = 50  # live lyrics: how often the position is compared with the next line


def parse_bool(raw: str | None, where: str) -> bool:
    if raw is None or raw == "":
        return False
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise RequestError(f"{where}: expected true or false, got {raw!r}")


class LyricsService:
    def __init__(self, context: PluginContext, config: LyricsConfig) -> None:
        self._context = context
        self._sources = config.sources
        http = context.http(timeout_s=config.lrclib.timeout_ms / 1000, headers={"User-Agent": USER_AGENT})
        self.lrclib = LrclibClient(config.lrclib.base_url, http)

    def _provider(self, name: str) -> LyricsSource | LrclibClient | None:
        if name == LRCLIB:
            return self.lrclib
        source = self._context.source(name)
        return source if isinstance(source, LyricsSource) else None

    def _names(self, track: Track, skip_track_source: bool) -> list[str]:
        """The track's own source (unless skipped), the configured `sources`, then every other registered source
        with lyrics (LavaLyrics asks every registered lyrics manager), each once."""
        own = track.info.source_name
        names = ([] if skip_track_source else [own]) + list(self._sources) + [
            s.name for s in self._context.sources()
            if isinstance(s, LyricsSource) and not (skip_track_source and s.name == own)]
        return list(dict.fromkeys(names))

    async def find(self, track: Track, *, skip_track_source: bool) -> Lyrics | None:
        for name in self._names(track, skip_track_source):
            provider = self._provider(name)
            if provider is None:
                continue
            try:
                found = await (provider.lyrics(track) if isinstance(provider, LrclibClient)
                               else provider.load_lyrics(track))
            except Exception as exc:  # a provider (a plugin's source too) that fails must not fail the others
                log.warning("lyrics from %s for %r failed: %s: %s; asking the next provider", name, track.info.title,
                            type(exc).__name__, exc)
                continue
            if found is not None:
                return found
        return None


def _respond(lyrics: Lyrics | None) -> web.Response:
    return web.Response(status=204) if lyrics is None else web.json_response(lyrics_json(lyrics))


class LavaLyricsPlugin:
    name = "lavalyrics-plugin"  # as the JVM plugin reports itself in /v4/info (clients look for this name)
    config_section = "lavalyrics"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        config = context.config(LyricsConfig)
        service = LyricsService(context, config)
        live = LiveLyrics(context, lambda track, skip: service.find(track, skip_track_source=skip),
                          max(config.poll_interval_ms, 1) / 1000)

        async def for_track(request: web.Request) -> web.StreamResponse:
            encoded = request.query.get("track")
            if not encoded:
                raise RequestError("track: required")
            skip = parse_bool(request.query.get("skipTrackSource"), "skipTrackSource")
            try:
                info = decode_track(encoded)
            except TrackDecodeError as exc:
                raise RequestError(f"track: {exc}") from None
            return _respond(await service.find(make_track(info), skip_track_source=skip))

        def key_of(request: web.Request) -> tuple[str, int]:
            session_id = request.match_info["session_id"]
            if not context.session_exists(session_id):
                raise web.HTTPNotFound(reason="Session not found")
            try:
                return session_id, int(request.match_info["guild_id"])
            except ValueError:
                raise RequestError("guildId: expected a number") from None

        async def for_player(request: web.Request) -> web.StreamResponse:
            skip = parse_bool(request.query.get("skipTrackSource"), "skipTrackSource")
            player = context.player(*key_of(request))
            if player is None or player.track is None:
                raise web.HTTPNotFound(reason="Not currently playing anything")
            return _respond(await service.find(player.track, skip_track_source=skip))

        async def subscribe(request: web.Request) -> web.StreamResponse:
            skip = parse_bool(request.query.get("skipTrackSource"), "skipTrackSource")
            live.subscribe(key_of(request), skip)
            return web.Response(status=204)

        async def unsubscribe(request: web.Request) -> web.StreamResponse:
            with contextlib.suppress(web.HTTPNotFound):  # as the JVM plugin: done, whatever the session
                live.unsubscribe(key_of(request))
            return web.Response(status=204)

        subscription = "/v4/sessions/{session_id}/players/{guild_id}/lyrics/subscribe"
        context.add_route("POST", subscription, subscribe)
        context.add_route("DELETE", subscription, unsubscribe)
        context.on_player_event(live.on_event)
        context.on_cleanup(live.close)
        context.add_route("GET", "/v4/lyrics", for_track)
        context.add_route("GET", "/v4/sessions/{session_id}/players/{guild_id}/track/lyrics", for_player)


plugin = LavaLyricsPlugin
