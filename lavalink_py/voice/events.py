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
    # No reconnect follows (VoiceDisconnected comes next). Carried on this event so the owner knows it before the
    # client hears of the close: from a worker process the two events arrive separately, and a voice update sent
    # in between must connect anew rather than be taken for the live connection's.
    final: bool = False


VoiceEvent = VoiceConnected | VoiceDisconnected | WebSocketClosed
VoiceEventCallback = Callable[[VoiceEvent], None]
