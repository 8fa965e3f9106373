"""LavaLyrics' live lyrics: `POST/DELETE /v4/sessions/{sessionId}/players/{guildId}/lyrics/subscribe`.

A subscribed player gets, for each track that starts (and for the one playing when it subscribes),
`LyricsFoundEvent {lyrics}` or `LyricsNotFoundEvent` (no lyrics, or none with timed lines), then one
`LyricsLineEvent {lineIndex, line, skipped}` as playback reaches each line; `skipped` is true for a line passed
without being played (a seek beyond it, or the next line already reached), as lavaplayer's BYPASSED/LATE markers
make it in the JVM plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from lavalink_py.plugins.api import PlayerEvent, PluginContext, Track
from lavalink_py.plugins.bundled.lyrics_model import Lyrics, line_json, lyrics_json
from lavalink_py.plugins.bundled.position import reach

log = logging.getLogger(__name__)

Key = tuple[str, int]
FindLyrics = Callable[[Track, bool], Awaitable[Lyrics | None]]


class LiveLyrics:
    def __init__(self, context: PluginContext, find: FindLyrics, poll_s: float) -> None:
        self._context = context
        self._find = find
        self._poll_s = poll_s
        self.subscribed: dict[Key, bool] = {}  # -> skipTrackSource
        self._watching: dict[Key, asyncio.Task[None]] = {}

    def subscribe(self, key: Key, skip_track_source: bool) -> None:
        for stale in [k for k in self.subscribed
                      if not self._context.session_exists(k[0]) and self._context.player(*k) is None]:
            del self.subscribed[stale]
        self.subscribed[key] = skip_track_source
        player = self._context.player(*key)
        if player is not None and player.track is not None:
            self._start(key, player.track)

    def unsubscribe(self, key: Key) -> None:
        self.subscribed.pop(key, None)
        self._stop(key)

    def on_event(self, event: PlayerEvent) -> None:
        if event.type not in ("TrackStartEvent", "TrackEndEvent"):
            return
        key = (event.session_id, event.guild_id)
        self._stop(key)
        player = self._context.player(*key)
        if event.type == "TrackStartEvent" and key in self.subscribed and player is not None and player.track:
            self._start(key, player.track)

    def _start(self, key: Key, track: Track) -> None:
        self._stop(key)
        self._watching[key] = asyncio.get_running_loop().create_task(self._watch(key, track))

    def _stop(self, key: Key) -> None:
        task = self._watching.pop(key, None)
        if task is not None:
            task.cancel()

    async def _watch(self, key: Key, track: Track) -> None:
        try:
            await self._follow(key, track)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not go unseen
            log.exception("live lyrics for guild %s failed", key[1])

    async def _follow(self, key: Key, track: Track) -> None:
        lyrics = await self._find(track, self.subscribed.get(key, False))
        if lyrics is None or not lyrics.lines:
            self._context.emit_event(*key, "LyricsNotFoundEvent", {})
            return
        self._context.emit_event(*key, "LyricsFoundEvent", {"lyrics": lyrics_json(lyrics)})
        lines = lyrics.lines
        for index, line in enumerate(lines):
            position = await reach(self._context, *key, track.encoded, at_ms=line.timestamp_ms, poll_s=self._poll_s)
            if position is None:
                return
            following = lines[index + 1].timestamp_ms if index + 1 < len(lines) else None
            skipped = following is not None and position >= following
            self._context.emit_event(*key, "LyricsLineEvent",
                                     {"lineIndex": index, "line": line_json(line), "skipped": skipped})

    async def close(self) -> None:
        tasks = list(self._watching.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
