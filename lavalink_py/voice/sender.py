"""One 20 ms Opus frame -> one encrypted RTP packet: DAVE frame encryption, RTP header, transport AEAD.

This is the per-packet hot path (every player, every 20 ms), so it is the sans-I/O parts fused by hand: one
`struct` pack for the header, one for the nonce, the AEAD primitive called directly (no method hop through
`TransportCipher.encrypt`), and one join for the packet. `RtpPacketizer.next_header` and
`TransportCipher.encrypt` stay the readable reference; tests/voice/test_sender.py checks that this path yields
the same bytes as they do, for every mode and across the sequence, timestamp and nonce wraps.

Sequence numbers count packets actually sent, so a receiver sees no gap when frames are withheld; the timestamp
counts time, so it still advances by 960 for a withheld frame (RFC 3550 sampling-clock semantics).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from lavalink_py.voice.cipher import NONCE_TAIL_SIZE, TransportCipher
from lavalink_py.voice.dave import DaveAdapter
from lavalink_py.voice.rtp import OPUS_PAYLOAD_TYPE, SAMPLES_PER_FRAME, RtpPacketizer

_HEADER = struct.Struct(">BBHII")
_TAIL = struct.Struct(">I")


class FrameSender:
    __slots__ = ("_dave", "_nonce", "_nonce_pad", "_seal", "packetizer")

    def __init__(self, packetizer: RtpPacketizer, cipher: TransportCipher, dave: DaveAdapter, nonce: int = 0) -> None:
        self.packetizer = packetizer
        self._dave = dave
        self._nonce = nonce % (1 << 32)
        # The full nonce is the 4 counter bytes then zeros: only the zeros are kept, the counter is packed per packet.
        self._nonce_pad = bytes(cipher.nonce_size - NONCE_TAIL_SIZE)
        self._seal: Callable[[bytes, bytes, bytes], bytes] = cipher.seal

    @property
    def nonce(self) -> int:
        """The counter the next packet will carry."""
        return self._nonce

    def mark(self) -> tuple[int, int, int]:
        """The counters the next packet will carry (sequence, timestamp, nonce), for `rewind`."""
        packetizer = self.packetizer
        return packetizer.sequence, packetizer.timestamp, self._nonce

    def rewind(self, mark: tuple[int, int, int]) -> None:
        """Back to the counters of `mark`: a packet built since then is built again with the same ones (a
        prepared packet whose DAVE state changed before it was sent, voice/connection.py)."""
        self.packetizer.sequence, self.packetizer.timestamp, self._nonce = mark

    def packet_for(self, frame: bytes) -> bytes | None:
        """The packet to send for `frame`, or None when DAVE withholds it (time advances, the sequence does not)."""
        payload = self._dave.encrypt(frame)
        packetizer = self.packetizer
        timestamp = packetizer.timestamp
        packetizer.timestamp = (timestamp + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        if payload is None:
            return None
        sequence = packetizer.sequence
        packetizer.sequence = (sequence + 1) & 0xFFFF
        header = _HEADER.pack(0x80, OPUS_PAYLOAD_TYPE, sequence, timestamp, packetizer.ssrc)
        nonce = self._nonce
        self._nonce = (nonce + 1) & 0xFFFFFFFF
        tail = _TAIL.pack(nonce)
        return b"".join((header, self._seal(tail + self._nonce_pad, payload, header), tail))
