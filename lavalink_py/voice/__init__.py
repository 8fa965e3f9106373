"""Discord voice: gateway v8, UDP/RTP, AEAD rtpsize transport encryption and DAVE end-to-end encryption.

The sans-I/O cores (rtp, cipher, ip_discovery, close_codes, gateway, dave, sender) hold no sockets and read no
clocks; `connection.VoiceConnection` is the asyncio driver that the player layer uses as its frame sink.
"""

from lavalink_py.voice.connection import SendStats, VoiceConnection
from lavalink_py.voice.events import (
    VoiceConnected,
    VoiceDisconnected,
    VoiceEvent,
    VoiceEventCallback,
    WebSocketClosed,
)

__all__ = [
    "SendStats",
    "VoiceConnected",
    "VoiceConnection",
    "VoiceDisconnected",
    "VoiceEvent",
    "VoiceEventCallback",
    "WebSocketClosed",
]
