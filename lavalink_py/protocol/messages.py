"""The JSON of Lavalink's WebSocket messages (`ready`, `playerUpdate`, `stats`, `event`) and of the Player object.

Builders take plain values and return dicts ready for orjson; camelCase lives only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from lavalink_py.protocol.filters import Filters, filters_json
from lavalink_py.protocol.load_result import FriendlyError, exception_json
from lavalink_py.protocol.player_update import VoiceState
from lavalink_py.protocol.track import Track, track_json

TrackEndReason = Literal["finished", "loadFailed", "stopped", "replaced", "cleanup"]

# Whether a client may start the next track after a TrackEndEvent with this reason (Lavalink's `mayStartNext`).
MAY_START_NEXT: dict[TrackEndReason, bool] = {
    "finished": True,
    "loadFailed": True,
    "stopped": False,
    "replaced": False,
    "cleanup": False,
}


@dataclass(frozen=True, slots=True)
class PlayerState:
    time_ms: int
    position_ms: int
    connected: bool
    ping_ms: int


def player_state_json(state: PlayerState) -> dict[str, Any]:
    return {
        "time": state.time_ms,
        "position": state.position_ms,
        "connected": state.connected,
        "ping": state.ping_ms,
    }


def voice_json(voice: VoiceState) -> dict[str, Any]:
    return {
        "token": voice.token,
        "endpoint": voice.endpoint,
        "sessionId": voice.session_id,
        "channelId": voice.channel_id,
    }


def player_json(
    guild_id: int,
    *,
    track: Track | None,
    volume: int,
    paused: bool,
    state: PlayerState,
    voice: VoiceState,
    filters: Filters,
    frames: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`frames`: lavalink_py's per-player frame report (docs/endpoints.md), a field Lavalink clients ignore."""
    body = {
        "guildId": str(guild_id),
        "track": None if track is None else track_json(track, state.position_ms),
        "volume": volume,
        "paused": paused,
        "state": player_state_json(state),
        "voice": voice_json(voice),
        "filters": filters_json(filters),
    }
    if frames is not None:
        body["frames"] = frames
    return body


def ready_message(session_id: str, resumed: bool) -> dict[str, Any]:
    return {"op": "ready", "resumed": resumed, "sessionId": session_id}


def player_update_message(guild_id: int, state: PlayerState) -> dict[str, Any]:
    return {"op": "playerUpdate", "guildId": str(guild_id), "state": player_state_json(state)}


def _event(kind: str, guild_id: int, **fields: Any) -> dict[str, Any]:
    return {"op": "event", "type": kind, "guildId": str(guild_id), **fields}


def track_start_event(guild_id: int, track: Track) -> dict[str, Any]:
    return _event("TrackStartEvent", guild_id, track=track_json(track))


def track_end_event(guild_id: int, track: Track, reason: TrackEndReason) -> dict[str, Any]:
    return _event("TrackEndEvent", guild_id, track=track_json(track), reason=reason)


def track_exception_event(guild_id: int, track: Track, error: FriendlyError) -> dict[str, Any]:
    return _event("TrackExceptionEvent", guild_id, track=track_json(track), exception=exception_json(error))


def track_stuck_event(guild_id: int, track: Track, threshold_ms: int) -> dict[str, Any]:
    return _event("TrackStuckEvent", guild_id, track=track_json(track), thresholdMs=threshold_ms)


def websocket_closed_event(guild_id: int, code: int, reason: str, by_remote: bool) -> dict[str, Any]:
    return _event("WebSocketClosedEvent", guild_id, code=code, reason=reason, byRemote=by_remote)


@dataclass(frozen=True, slots=True)
class FrameStats:
    sent: int
    nulled: int
    deficit: int


@dataclass(frozen=True, slots=True)
class NodeStats:
    players: int
    playing_players: int
    uptime_ms: int
    memory_free: int
    memory_used: int
    memory_allocated: int
    memory_reservable: int
    cores: int
    system_load: float
    lavalink_load: float


def stats_json(stats: NodeStats, frame_stats: FrameStats | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "players": stats.players,
        "playingPlayers": stats.playing_players,
        "uptime": stats.uptime_ms,
        "memory": {
            "free": stats.memory_free,
            "used": stats.memory_used,
            "allocated": stats.memory_allocated,
            "reservable": stats.memory_reservable,
        },
        "cpu": {"cores": stats.cores, "systemLoad": stats.system_load, "lavalinkLoad": stats.lavalink_load},
    }
    if frame_stats is not None:
        out["frameStats"] = stats_json_frames(frame_stats)
    return out


def stats_message(stats: NodeStats, frame_stats: FrameStats | None) -> dict[str, Any]:
    # Lavalink's Message.StatsEvent (protocol messages.kt:70) declares `frameStats: FrameStats?` without a default,
    # so the WebSocket always carries it, `null` when there are none; REST /v4/stats (StatsData, stats.kt:29, a
    # default of null under encodeDefaults = false) omits it, as stats_json does.
    return {"op": "stats", "frameStats": stats_json_frames(frame_stats), **stats_json(stats)}


def stats_json_frames(frame_stats: FrameStats | None) -> dict[str, int] | None:
    if frame_stats is None:
        return None
    return {"sent": frame_stats.sent, "nulled": frame_stats.nulled, "deficit": frame_stats.deficit}
