"""SponsorBlock (github:topi314/Sponsorblock-Plugin), as the JVM plugin `sponsorblock-plugin` behaves.

- `GET/PUT/DELETE /v4/sessions/{sessionId}/players/{guildId}/sponsorblock/categories`: the categories to skip for
  one player (a JSON array of names). Nothing is skipped for a player until categories are PUT, as in the JVM plugin.
  GET answers 404 for an unknown session or a player without categories; PUT 200 with an empty body (the JVM
  plugin's handlers return void, which Spring answers 200 without a body), 404 for an unknown session, 400 for a
  body that is not an array of SponsorBlock category names; DELETE 200 with an empty body, also when nothing was set
  or the session is unknown.
- When a `youtube` track starts on such a player, its segments (and chapters) are fetched from the SponsorBlock
  API (`plugins.sponsorblock.baseUrl`); `SegmentsLoaded` / `ChaptersLoaded` are sent when there are any. While it
  plays, reaching a segment's start seeks to its end and sends `SegmentSkipped`; reaching a chapter sends
  `ChapterStarted`. (The JVM plugin uses lavaplayer track markers; this waits on the player's position,
  position.py: a skip happens within `pollIntervalMs` of the segment's start, with few reads before it.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from lavalink_py import __version__
from lavalink_py.plugins.api import PlayerEvent, PluginContext, RequestError
from lavalink_py.plugins.bundled.position import reach
from lavalink_py.plugins.bundled.sponsorblock_api import Chapter, Segment, SponsorBlockClient

log = logging.getLogger(__name__)

Key = tuple[str, int]  # (session id, guild id)


@dataclass(frozen=True, slots=True)
class SponsorBlockConfig:
    base_url: str = "https://sponsor.ajay.app"
    timeout_ms: int = 10_000
    poll_interval_ms: int = 50


def parse_categories(body: Any) -> tuple[str, ...]:
    # Any strings, as the JVM plugin's `@RequestBody Set<String>`: SponsorBlock itself judges the names.
    if not isinstance(body, list) or not all(isinstance(c, str) for c in body):
        raise RequestError("body: expected a JSON array of category names")
    return tuple(dict.fromkeys(body))


class SegmentSkipper:
    """Per player: the categories to skip, and the task that watches the playing track's position."""

    def __init__(self, context: PluginContext, config: SponsorBlockConfig) -> None:
        self._context = context
        http = context.http(timeout_s=config.timeout_ms / 1000, headers={"User-Agent": f"lavalink_py/{__version__}"})
        self.api = SponsorBlockClient(config.base_url, http)
        self._poll_s = max(config.poll_interval_ms, 1) / 1000
        self.categories: dict[Key, tuple[str, ...]] = {}
        self._watching: dict[Key, asyncio.Task[None]] = {}

    def forget_closed_sessions(self) -> None:
        for key in [k for k in self.categories if not self._alive(k)]:
            del self.categories[key]

    def _alive(self, key: Key) -> bool:
        """Connected, or paused for a resume with the player still there."""
        return self._context.session_exists(key[0]) or self._context.player(*key) is not None

    def on_event(self, event: PlayerEvent) -> None:
        key = (event.session_id, event.guild_id)
        if event.type not in ("TrackStartEvent", "TrackEndEvent"):
            return
        self._stop(key)
        track = event.message.get("track")
        categories = self.categories.get(key)
        if event.type != "TrackStartEvent" or not categories or not isinstance(track, dict):
            return
        info = track.get("info", {})
        if info.get("sourceName") != "youtube":
            return
        self._watching[key] = asyncio.get_running_loop().create_task(
            self._watch(key, str(track.get("encoded")), str(info.get("identifier")), categories)
        )

    def _stop(self, key: Key) -> None:
        task = self._watching.pop(key, None)
        if task is not None:
            task.cancel()

    async def _watch(self, key: Key, encoded: str, video_id: str, categories: Sequence[str]) -> None:
        try:
            await self._skip_segments(key, encoded, video_id, categories)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not go unseen, nor touch the player's playback
            log.exception("SponsorBlock: watching %s on guild %s failed; its segments are not skipped", video_id,
                          key[1])

    async def _skip_segments(self, key: Key, encoded: str, video_id: str, categories: Sequence[str]) -> None:
        try:
            segments = await self.api.segments(video_id, categories)
            chapters = await self.api.chapters(video_id)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("SponsorBlock: segments of %s could not be fetched: %s", video_id, exc)
            return
        if segments:
            self._emit(key, "SegmentsLoaded", {"segments": [s.to_json() for s in segments]})
        if chapters:
            self._emit(key, "ChaptersLoaded", {"chapters": [c.to_json() for c in chapters]})
        marks: list[Segment | Chapter] = sorted([*segments, *chapters], key=lambda m: m.start_ms)
        for mark in marks:
            position = await reach(self._context, *key, encoded, at_ms=mark.start_ms, poll_s=self._poll_s)
            if position is None:
                return  # the track ended or changed
            if isinstance(mark, Chapter):
                self._emit(key, "ChapterStarted", {"chapter": mark.to_json()})
            elif position < mark.end_ms:  # a client's seek past the whole segment skips nothing
                player = self._context.player(*key)
                if player is not None:
                    player.seek(mark.end_ms)
                self._emit(key, "SegmentSkipped", {"segment": mark.to_json()})

    def _emit(self, key: Key, event_type: str, data: dict[str, Any]) -> None:
        self._context.emit_event(key[0], key[1], event_type, data)

    async def close(self) -> None:
        tasks = list(self._watching.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


class SponsorBlockPlugin:
    name = "sponsorblock-plugin"  # as the JVM plugin reports itself in /v4/info (clients look for this name)
    config_section = "sponsorblock"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        skipper = SegmentSkipper(context, context.config(SponsorBlockConfig))

        def key_of(request: web.Request) -> Key:
            session_id = request.match_info["session_id"]
            try:
                guild_id = int(request.match_info["guild_id"])
            except ValueError:
                raise RequestError("guildId: expected a number") from None
            if not context.session_exists(session_id):
                raise web.HTTPNotFound(reason="Session not found")
            return session_id, guild_id

        async def get(request: web.Request) -> web.StreamResponse:
            skipper.forget_closed_sessions()
            categories = skipper.categories.get(key_of(request))
            if categories is None:
                raise web.HTTPNotFound(reason="Guild not found")
            return web.json_response(list(categories))

        async def put(request: web.Request) -> web.StreamResponse:
            key = key_of(request)
            try:
                body = await request.json()
            except ValueError:
                raise RequestError("body: expected a JSON array of category names") from None
            skipper.forget_closed_sessions()
            skipper.categories[key] = parse_categories(body)
            return web.Response(status=200)  # Spring's answer to a void handler: 200, no body

        async def delete(request: web.Request) -> web.StreamResponse:
            with contextlib.suppress(web.HTTPNotFound):  # the JVM plugin answers it as done for an unknown session
                skipper.categories.pop(key_of(request), None)
            return web.Response(status=200)

        path = "/v4/sessions/{session_id}/players/{guild_id}/sponsorblock/categories"
        context.add_route("GET", path, get)
        context.add_route("PUT", path, put)
        context.add_route("DELETE", path, delete)
        context.on_player_event(skipper.on_event)
        context.on_cleanup(skipper.close)


plugin = SponsorBlockPlugin
