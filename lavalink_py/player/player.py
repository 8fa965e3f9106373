"""One guild's player: the track, where it is, how it sounds, and where its audio goes.

The player emits Lavalink messages (events and playerUpdates) through a callback and never sees a socket; its
session decides whether they are sent now, buffered for a resume, or dropped. Audio comes from a `Playback` of the
node's audio engine; frames go to the voice connection while there is one (without one, as in Lavalink, nothing
consumes frames and the position stands still).

Events follow lavaplayer: playing a track emits `TrackStartEvent` at once; starting a track over another ends the
old one with `replaced` first; `encodedTrack: null` ends it with `stopped`; destroying the player with `cleanup`;
the end of the media or of `endTime` with `finished`; a source that fails, `TrackExceptionEvent` then `loadFailed`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from typing import Any, assert_never

from lavalink_py.audio import EndReason, Playback, StreamFailure
from lavalink_py.config import log_context
from lavalink_py.player.services import PlayerServices, VoiceLink, VoiceSink
from lavalink_py.protocol.filters import NO_FILTERS, Filters
from lavalink_py.protocol.load_result import FriendlyError
from lavalink_py.protocol.messages import (
    PlayerState,
    TrackEndReason,
    player_json,
    player_update_message,
    track_end_event,
    track_exception_event,
    track_start_event,
    track_stuck_event,
    websocket_closed_event,
)
from lavalink_py.protocol.player_update import EMPTY_VOICE, VoiceState
from lavalink_py.protocol.track import Track
from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent, WebSocketClosed

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]


def _now_ms() -> int:
    return int(time.time() * 1000)


class _PlayerLog(logging.LoggerAdapter[logging.Logger]):
    """Every line about a player carries its guild, session and current track as fields (JSON keys, text tags),
    read when the line is written: the calls come from REST handlers, the frame clock and stream tasks alike."""

    def __init__(self, player: Player) -> None:
        super().__init__(log)
        self._player = player

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        player = self._player
        track = player.track.info.title if player.track is not None else None
        fields = {"guild_id": player.guild_id, "session_id": player.session_id, "track": track}
        kwargs["extra"] = {**fields, **kwargs.get("extra", {})}
        return msg, kwargs


class Player:
    def __init__(
        self, guild_id: int, user_id: int, emit: Emit, services: PlayerServices, *, session_id: str | None = None
    ) -> None:
        self.guild_id = guild_id
        self.user_id = user_id
        self.session_id = session_id
        self._log = _PlayerLog(self)
        self._emit = emit
        self._services = services
        self._playback = services.audio.create_playback(self)
        self._voice_link: VoiceLink | None = None
        self._voice_given_up = False
        self._sink_pending = False
        self._not_sent_before = 0  # sendLate frames of the voice connections this player closed
        self.track: Track | None = None
        self.volume = 100
        self.filters: Filters = NO_FILTERS
        self.voice: VoiceState = EMPTY_VOICE
        self.end_time_ms: int | None = None
        # While the track's stream is still being resolved, seeks land here.
        self._opening_at_ms: int | None = None
        self._generation = 0
        self.destroyed = False

    # -- what clients see -------------------------------------------------------------------------------------

    @property
    def position_ms(self) -> int:
        if self.track is None:
            return 0
        if self._opening_at_ms is not None:
            return self._opening_at_ms
        return self._playback.position_ms

    @property
    def paused(self) -> bool:
        return self._playback.paused

    @property
    def is_playing(self) -> bool:
        return self.track is not None and not self.paused

    @property
    def connected(self) -> bool:
        return self._voice_link is not None and self._voice_link.connected

    @property
    def voice_link(self) -> VoiceLink | None:
        """The current voice connection, if any (benchmarks and diagnostics read its counters)."""
        return self._voice_link

    @property
    def playback(self) -> Playback:
        """This player's audio playback (benchmarks wrap its frame sink)."""
        return self._playback

    @property
    def ping_ms(self) -> int:
        return self._voice_link.ping_ms if self._voice_link is not None else -1

    @property
    def frames(self) -> tuple[int, int]:
        """Frames sent and nulled (due while playing, none ready) since the player was made."""
        return self._playback.frames_sent, self._playback.frames_nulled

    @property
    def frames_not_sent(self) -> int:
        """Frames the voice connections (this one and those closed before) were handed but could not send."""
        link = self._voice_link
        return self._not_sent_before + (0 if link is None else link.frames_not_sent)

    def frame_report(self) -> dict[str, Any]:
        """Frames sent, every lost frame by cause, and the Opus complexity the encoder runs at (None while the
        source's own Opus packets are passed through): "why does this guild stutter?" (audio/frame_loss.py).
        Below complexity 0 the overload policy lowers the bitrate, then the band (audio/overload.py)."""
        level = self._playback.encoder_level
        return {
            "sent": self._playback.frames_sent,
            "lost": self._playback.loss.counts.as_dict(send_late=self.frames_not_sent),
            "opusComplexity": None if level is None else level.complexity,
            "opusBitrate": None if level is None else level.bitrate,
            "opusBandwidth": None if level is None else level.bandwidth,
        }

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
            frames=self.frame_report(),
        )

    def send_update(self, now_ms: int) -> None:
        self._emit(player_update_message(self.guild_id, self.state(now_ms)))

    # -- what clients ask for ---------------------------------------------------------------------------------

    def play(self, track: Track, *, start_ms: int, end_time_ms: int | None, paused: bool, now_ms: int) -> None:
        self._end("replaced")
        self._begin(track, start_ms, end_time_ms, paused)
        self._emit(track_start_event(self.guild_id, track))
        self.send_update(now_ms)

    def restore(self, track: Track, *, position_ms: int, end_time_ms: int | None, paused: bool) -> None:
        """Take up a track kept across a restart of the node: reopened through its source from `position_ms`.
        No event: the client saw this track start before the restart, so a TrackStartEvent would be a duplicate."""
        self._begin(track, position_ms, end_time_ms, paused)

    def _begin(self, track: Track, start_ms: int, end_time_ms: int | None, paused: bool) -> None:
        self.track = track
        self.end_time_ms = end_time_ms
        self.set_paused(paused)
        self._generation += 1
        self._opening_at_ms = start_ms
        self._log.info("start track %r at %d ms", track.info.title, start_ms)
        self._services.tasks.spawn(self._open(track, self._generation), f"open-{self.guild_id}")

    async def _open(self, track: Track, generation: int) -> None:
        try:
            spec = await self._services.open_stream(track.info)
        except FriendlyError as error:
            self._load_failed(generation, error)
            return
        except Exception as error:
            self._log.exception("opening %r failed", track.info.title, extra={"track": track.info.title})
            self._load_failed(generation, FriendlyError(str(error), "fault", f"{type(error).__name__}: {error}"))
            return
        if generation != self._generation or self._opening_at_ms is None:
            return  # replaced or stopped while it was being resolved
        start_ms, self._opening_at_ms = self._opening_at_ms, None
        self._playback.start(spec, start_ms, self.end_time_ms)

    def _load_failed(self, generation: int, error: FriendlyError) -> None:
        if generation != self._generation or self.track is None:
            return
        self._opening_at_ms = None
        self._playback.stop()  # the track it replaced may still be sounding
        self._emit(track_exception_event(self.guild_id, self.track, error))
        self._finish("loadFailed")

    def stop(self) -> None:
        self._end("stopped")

    def seek(self, position_ms: int, now_ms: int) -> None:
        if self.track is None:
            return
        if self._opening_at_ms is not None:
            self._opening_at_ms = position_ms
        else:
            self._playback.seek(position_ms)
        self.send_update(now_ms)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self._playback.pause()
        else:
            self._playback.resume()

    def set_volume(self, volume: int) -> None:
        self.volume = volume
        self._playback.set_volume(volume)

    def set_filters(self, filters: Filters, now_ms: int) -> None:
        if filters != self.filters:
            self.filters = filters
            self._playback.set_filters(self._services.audio.filters.plan(filters))
        self.send_update(now_ms)

    def set_end_time(self, end_time_ms: int | None) -> None:
        if self.track is not None:
            self.end_time_ms = end_time_ms
            self._playback.set_end_time(end_time_ms)

    def set_user_data(self, user_data: dict[str, Any]) -> None:
        if self.track is not None:
            self.track = replace(self.track, user_data=user_data)

    def destroy(self) -> None:
        self._end("cleanup")
        self._close_voice()
        self._services.audio.remove_playback(self._playback)
        self.destroyed = True

    def _end(self, reason: TrackEndReason) -> None:
        """The player ends the track itself (replaced, stopped, cleanup)."""
        if self.track is None:
            return
        if reason != "replaced":  # a replacing track takes over the playback without a gap
            self._playback.stop()
        self._finish(reason)

    def _finish(self, reason: TrackEndReason) -> None:
        track, self.track = self.track, None
        self.end_time_ms = None
        self._opening_at_ms = None
        if track is not None:
            self._log.info("end track %r: %s", track.info.title, reason, extra={"track": track.info.title})
            self._emit(track_end_event(self.guild_id, track, reason))

    # -- what the audio engine reports (PlaybackListener, on the event loop, about the latest track) --------

    def on_track_start(self) -> None:
        self._log.debug("first frame")

    def on_track_end(self, reason: EndReason) -> None:
        self._finish("finished" if reason is EndReason.FINISHED else "loadFailed")

    def on_track_exception(self, failure: StreamFailure) -> None:
        if self.track is not None:
            self._log.warning("track failed (%s): %s", failure.severity.value, failure.message)
            error = FriendlyError(failure.message, failure.severity.value, failure.cause)
            self._emit(track_exception_event(self.guild_id, self.track, error))

    def on_track_stuck(self, threshold_ms: int) -> None:
        if self.track is not None:
            self._log.warning("track stuck: no frame for %d ms", threshold_ms)
            self._emit(track_stuck_event(self.guild_id, self.track, threshold_ms))
            self.send_update(_now_ms())

    # -- voice ------------------------------------------------------------------------------------------------

    def set_voice(self, voice: VoiceState, *, sink_when_connected: bool = False) -> None:
        """Connect to the voice server named, replacing the connection unless it is the same and still up
        (Lavalink's rule); the track and its position carry over to the new connection.

        `sink_when_connected`: frames flow only once the connection is up, so the position stands still until
        then (a player restored after a restart goes on exactly where it was instead of dropping the frames due
        while it reconnects)."""
        if voice == self.voice and self._voice_link is not None and not self._voice_given_up:
            return
        self.voice = voice
        self._close_voice()
        def on_event(event: VoiceEvent) -> None:
            # Only the current link's: a replaced one closes in a task of its own, and an event it had already
            # queued (a worker's VoiceDisconnected after its final close) must not give up on its successor.
            if self._voice_link is link:
                self._on_voice_event(event)

        link = self._services.connect_voice(self.guild_id, self.user_id, voice, on_event)
        self._voice_link, self._voice_given_up = link, False
        self._sink_pending = sink_when_connected
        if not sink_when_connected:
            self._playback.attach(VoiceSink(link))
        # The connection's task copies this context, so its own lines (closes, reconnects, DAVE) name the player too;
        # it outlives tracks, so the track is left out.
        with log_context(guild_id=self.guild_id, session_id=self.session_id):
            link.start()
        self._log.info("connecting to voice server %s", voice.endpoint)

    def _on_voice_event(self, event: VoiceEvent) -> None:
        match event:
            case WebSocketClosed(code=code, reason=reason, by_remote=by_remote, final=final):
                if final:
                    self._voice_given_up = True  # before the client hears of it: its next voice update reconnects
                self._emit(websocket_closed_event(self.guild_id, code, reason, by_remote))
                self.send_update(_now_ms())
            case VoiceConnected():
                if self._sink_pending and self._voice_link is not None:
                    self._sink_pending = False
                    self._playback.attach(VoiceSink(self._voice_link))
                self.send_update(_now_ms())
            case VoiceDisconnected():
                self._voice_given_up = True
                self._playback.detach()
                self.send_update(_now_ms())
            case _:
                assert_never(event)

    def _close_voice(self) -> None:
        link, self._voice_link = self._voice_link, None
        if link is not None:
            self._not_sent_before += link.frames_not_sent
            self._playback.detach()
            self._services.tasks.spawn(link.close(), f"voice-close-{self.guild_id}")
