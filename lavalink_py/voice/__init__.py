"""Discord voice: gateway v8, UDP/RTP, AEAD rtpsize transport encryption and DAVE end-to-end encryption.

The sans-I/O cores (rtp, cipher, ip_discovery, close_codes, gateway, dave, sender) hold no sockets and read no
clocks; `connection.VoiceConnection` is the asyncio driver that the player layer uses as its frame sink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lavalink_py.voice.events import (
    VoiceConnected,
    VoiceDisconnected,
    VoiceEvent,
    VoiceEventCallback,
    WebSocketClosed,
)

if TYPE_CHECKING:
    from lavalink_py.voice.connection import SendStats, VoiceConnection


def __getattr__(name: str) -> Any:
    # The driver (and its crypto: cryptography, davey) loads on first use, not with the package (issue 11).
    if name in ("SendStats", "VoiceConnection"):
        from lavalink_py.voice import connection

        return getattr(connection, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "SendStats",
    "VoiceConnected",
    "VoiceConnection",
    "VoiceDisconnected",
    "VoiceEvent",
    "VoiceEventCallback",
    "WebSocketClosed",
]
