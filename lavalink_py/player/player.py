"""One guild's player: the track, where it is, how it sounds, and where its audio goes.

The player emits Lavalink messages (events and playerUpdates) through a callback and never sees a socket; its
session decides whether they are sent now, buffered for a resume, or dropped.

Events follow lavaplayer's order: starting a track over another ends the old one with `replaced` before
`TrackStartEvent`; `encodedTrack: null` ends it with `stopped`; destroying the player ends it with `cleanup`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, assert_never

from lavalink_py.player.services import PlayerServices, VoiceLink
from lavalink_py.protocol.filters import NO_FILTERS, Filters
from lavalink_py.protocol.messages import (
    PlayerState,
    TrackEndReason,
    player_json,
    player_update_message,
    track_end_event,
    track_start_event,
    websocket_closed_event,
)
from lavalink_py.protocol.player_update import EMPTY_VOICE, VoiceState
from lavalink_py.protocol.track import Track
from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent, WebSocketClosed

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]


class Player:
    def __init__(self, guild_id: int, user_id: int, emit: Emit, services: PlayerServices) -> None:
        self.guild_id = guild_id
        self.user_id = user_id
        self._emit = emit
        self._services = services
        self._voice_link: VoiceLink | None = None
        self._voice_given_up = False
        self.track: Track | None = None
        self.paused = False
        self.volume = 100
        self.filters: Filters = NO_FILTERS
        self.voice: VoiceState = EMPTY_VOICE
        self.end_time_ms: int | None = None
        self._position_ms = 0
        self.destroyed = False

    # -- what clients see -------------------------------------------------------------------------------------

    @property
    def position_ms(self) -> int:
        return self._position_ms if self.track is not None else 0

    @property
    def is_playing(self) -> bool:
        return self.track is not None and not self.paused

    @property
    def connected(self) -> bool:
        return self._voice_link is not None and self._voice_link.connected

    @property
    def ping_ms(self) -> int:
        return self._voice_link.ping_ms if self._voice_link is not None else -1

    def state(self, now_ms: int) -> PlayerState:
        return PlayerState(now_ms, self.position_ms, self.connected, self.ping_ms)

    def to_json(self, now_ms: int) -> dict[str, Any]:
        return player_json(
            self.guild_id,
            track=self.track,
            volume=self.volume,
            paused=self.paused,
            state=self.state(now_ms),
            voice=self.voice,
            filters=self.filters,
        )

    def send_update(self, now_ms: int) -> None:
        self._emit(player_update_message(self.guild_id, self.state(now_ms)))

    # -- what clients ask for ---------------------------------------------------------------------------------

    def play(self, track: Track, *, start_ms: int, end_time_ms: int | None, paused: bool, now_ms: int) -> None:
        self._end("replaced")
        self.track = track
        self._position_ms = start_ms
        self.end_time_ms = end_time_ms
        self.paused = paused
        log.info("guild=%s start track %r at %d ms", self.guild_id, track.info.title, start_ms)
        self._emit(track_start_event(self.guild_id, self.track))
        self.send_update(now_ms)

    def stop(self) -> None:
        self._end("stopped")

    def seek(self, position_ms: int, now_ms: int) -> None:
        if self.track is None:
            return
        self._position_ms = position_ms
        self.send_update(now_ms)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused

    def set_volume(self, volume: int) -> None:
        self.volume = volume

    def set_filters(self, filters: Filters, now_ms: int) -> None:
        self.filters = filters
        self.send_update(now_ms)

    def set_end_time(self, end_time_ms: int | None) -> None:
        if self.track is not None:
            self.end_time_ms = end_time_ms

    def set_user_data(self, user_data: dict[str, Any]) -> None:
        if self.track is not None:
            self.track = replace(self.track, user_data=user_data)

    def set_voice(self, voice: VoiceState) -> None:
        """Connect to the voice server named, replacing the connection unless it is the same and still up
        (Lavalink's rule); the track and its position carry over to the new connection."""
        if voice == self.voice and self._voice_link is not None and not self._voice_given_up:
            return
        self.voice = voice
        self._close_voice()
        link = self._services.connect_voice(self.guild_id, self.user_id, voice, self._on_voice_event)
        self._voice_link, self._voice_given_up = link, False
        link.start()
        log.info("guild=%s connecting to voice server %s", self.guild_id, voice.endpoint)

    def _on_voice_event(self, event: VoiceEvent) -> None:
        now_ms = int(time.time() * 1000)
        match event:
            case WebSocketClosed(code=code, reason=reason, by_remote=by_remote):
                self._emit(websocket_closed_event(self.guild_id, code, reason, by_remote))
                self.send_update(now_ms)
            case VoiceConnected():
                self.send_update(now_ms)
            case VoiceDisconnected():
                self._voice_given_up = True
                self.send_update(now_ms)
            case _:
                assert_never(event)

    def _close_voice(self) -> None:
        link, self._voice_link = self._voice_link, None
        if link is not None:
            self._services.tasks.spawn(link.close(), f"voice-close-{self.guild_id}")

    def destroy(self) -> None:
        self._end("cleanup")
        self._close_voice()
        self.destroyed = True

    def _end(self, reason: TrackEndReason) -> None:
        track, self.track = self.track, None
        self.end_time_ms = None
        if track is not None:
            log.info("guild=%s end track %r: %s", self.guild_id, track.info.title, reason)
            self._emit(track_end_event(self.guild_id, track, reason))
