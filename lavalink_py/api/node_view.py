"""The node as the metrics and health checks read it: snapshots built from sessions and players on demand."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from lavalink_py.metrics.counters import PlayerEventStats, PlayerEventType
from lavalink_py.metrics.inputs import (
    AudioLoadSnapshot,
    PlayerStatsSnapshot,
    SessionStatsSnapshot,
    VoiceStatsSnapshot,
    VoiceWorkerSnapshot,
)
from lavalink_py.sessions.node import Node
from lavalink_py.sessions.session import MessageObserver
from lavalink_py.voice.mls_lane import shared_lane

# Lavalink event type -> the `event` label of lavalink_player_events_total.
_EVENT_LABELS: Final[dict[str, PlayerEventType]] = {
    "TrackStartEvent": "start",
    "TrackEndEvent": "end",
    "TrackExceptionEvent": "exception",
    "TrackStuckEvent": "stuck",
}


class NodeView:
    def __init__(self, node: Node) -> None:
        self._node = node

    def player_stats(self) -> PlayerStatsSnapshot:
        playing = paused = stopped = 0
        guilds: set[int] = set()
        for player in self._node.sessions.players():
            guilds.add(player.guild_id)
            if player.track is None:
                stopped += 1
            elif player.paused:
                paused += 1
            else:
                playing += 1
        return PlayerStatsSnapshot(playing=playing, paused=paused, stopped=stopped, guilds=len(guilds))

    def session_stats(self) -> SessionStatsSnapshot:
        live = len(self._node.sessions.live_sessions())
        return SessionStatsSnapshot(connected=live, resumable=len(self._node.sessions.sessions()) - live)

    def voice_stats(self) -> VoiceStatsSnapshot:
        connected = sum(1 for player in self._node.sessions.players() if player.connected)
        mls = shared_lane().stats  # called on the loop: the node's one lane, made on first use
        return VoiceStatsSnapshot(
            connected=connected,
            mls_calls=mls.calls,
            mls_deferred=mls.deferred,
            mls_busy_seconds=mls.busy_s,
            mls_cpu_seconds=mls.cpu_s,
            workers=tuple(
                VoiceWorkerSnapshot(w.worker, w.links, w.packets_sent, w.batches, w.cpu_s, w.restarts)
                for w in self._node.voice_worker_stats()
            ),
        )

    def audio_load(self) -> AudioLoadSnapshot:
        audio = self._node.audio
        send_late = sum(player.frames_not_sent for player in self._node.sessions.players())
        policy = audio.overload.policy
        return AudioLoadSnapshot(
            frames_lost=audio.loss.totals.as_dict(send_late=send_late),
            opus_complexity=audio.overload.dial.complexity,
            overload_level=policy.level,
            opus_bitrate=audio.overload.dial.level.bitrate,
            streams_by_complexity=audio.overload.streams_by_complexity(),
            steps_down=policy.steps_down,
            steps_up=policy.steps_up,
            shared_frames_dropped=audio.shares.frames_dropped if audio.shares is not None else 0,
        )

    def source_status(self) -> Mapping[str, bool]:
        return dict.fromkeys(self._node.loader.names(), True)


def count_player_events(events: PlayerEventStats, clock: Callable[[], float] = time.monotonic) -> MessageObserver:
    """A session message observer that counts the player events among the messages and times each track from its
    TrackStartEvent to its TrackEndEvent, keyed by guild (sessions sharing a guild on one node would mix)."""
    started: dict[str, float] = {}

    def observe(message: dict[str, Any]) -> None:
        if message.get("op") != "event":
            return
        kind, guild = message.get("type", ""), message.get("guildId", "")
        if (label := _EVENT_LABELS.get(kind)) is not None:
            events.bump(label)
        if kind == "TrackStartEvent":
            started[guild] = clock()
        elif kind == "TrackEndEvent" and (at := started.pop(guild, None)) is not None:
            events.observe_duration("track", clock() - at)

    return observe
