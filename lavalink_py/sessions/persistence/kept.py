"""What is kept of a resumable session and its players: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class KeptVoice:
    token: str
    endpoint: str
    session_id: str
    channel_id: str | None


@dataclass(frozen=True, slots=True)
class KeptPlayer:
    guild_id: int
    encoded_track: str | None
    user_data: dict[str, Any]
    plugin_info: dict[str, Any]
    position_ms: int
    taken_at_ms: int  # wall clock when position_ms was read
    paused: bool
    volume: int
    filters: dict[str, Any]  # Lavalink's filters JSON
    end_time_ms: int | None
    voice: KeptVoice | None


@dataclass(frozen=True, slots=True)
class KeptSession:
    id: str
    user_id: int
    client_name: str | None
    timeout_s: int
    # When the session lost its socket; for one still connected at the checkpoint, the checkpoint's time (a crash
    # right after it is when the socket died).
    detached_at_ms: int
    queued: tuple[str, ...] = ()
    players: tuple[KeptPlayer, ...] = field(default=())

    def expires_at_ms(self) -> int:
        return self.detached_at_ms + self.timeout_s * 1000
