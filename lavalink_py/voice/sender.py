"""One 20 ms Opus frame -> one encrypted RTP packet: DAVE frame encryption, RTP header, transport AEAD.

Sequence numbers count packets actually sent, so a receiver sees no gap when frames are withheld; the timestamp
counts time, so it still advances by 960 for a withheld frame (RFC 3550 sampling-clock semantics).
"""

from __future__ import annotations

from lavalink_py.voice.cipher import TransportCipher
from lavalink_py.voice.dave import DaveAdapter
from lavalink_py.voice.rtp import SAMPLES_PER_FRAME, TIMESTAMP_MODULO, RtpPacketizer


class FrameSender:
    __slots__ = ("_cipher", "_dave", "_nonce", "packetizer")

    def __init__(self, packetizer: RtpPacketizer, cipher: TransportCipher, dave: DaveAdapter, nonce: int = 0) -> None:
        self.packetizer = packetizer
        self._cipher = cipher
        self._dave = dave
        self._nonce = nonce

    def packet_for(self, frame: bytes) -> bytes | None:
        payload = self._dave.encrypt(frame)
        if payload is None:
            self.packetizer.timestamp = (self.packetizer.timestamp + SAMPLES_PER_FRAME) % TIMESTAMP_MODULO
            return None
        nonce = self._nonce
        self._nonce = (nonce + 1) & 0xFFFFFFFF
        return self._cipher.encrypt(self.packetizer.next_header(), payload, nonce)
