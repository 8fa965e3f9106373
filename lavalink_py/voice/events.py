"""Events a VoiceConnection reports to its owner (the lead relays them to Lavalink clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VoiceConnected:
    resumed: bool


@dataclass(frozen=True, slots=True)
class VoiceDisconnected:
    reason: str


@dataclass(frozen=True, slots=True)
class WebSocketClosed:
    """Lavalink's WebSocketClosedEvent: code, reason, byRemote."""

    code: int
    reason: str
    by_remote: bool


VoiceEvent = VoiceConnected | VoiceDisconnected | WebSocketClosed
VoiceEventCallback = Callable[[VoiceEvent], None]
