"""RTP packetization as Discord expects it (RFC 3550 subset).

Sent header: 0x80 | 0x78 | u16 sequence | u32 timestamp | u32 ssrc (big-endian), no extension, no CSRC.
The sequence advances by 1 and wraps at 2**16; the timestamp by 960 samples (20 ms at 48 kHz), wrapping at 2**32.
Parsing also understands CSRCs, the extension bit and padding, because the rtpsize transport modes authenticate
the header plus the 4-byte extension preamble while the extension body travels encrypted.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lavalink_py.voice.errors import RtpError

RTP_HEADER_SIZE = 12
RTP_VERSION = 2
OPUS_PAYLOAD_TYPE = 0x78
SAMPLES_PER_FRAME = 960
SEQUENCE_MODULO = 1 << 16
TIMESTAMP_MODULO = 1 << 32

_HEADER = struct.Struct(">BBHII")


@dataclass(frozen=True, slots=True)
class RtpHeader:
    sequence: int
    timestamp: int
    ssrc: int
    payload_type: int = OPUS_PAYLOAD_TYPE
    marker: bool = False
    padding: bool = False
    csrc_count: int = 0
    extension_words: int | None = None
    # Bytes sent in the clear: 12 + 4*CC, plus the 4-byte extension preamble when the X bit is set.
    clear_size: int = RTP_HEADER_SIZE


def build_header(sequence: int, timestamp: int, ssrc: int) -> bytes:
    return _HEADER.pack(
        0x80, OPUS_PAYLOAD_TYPE, sequence % SEQUENCE_MODULO, timestamp % TIMESTAMP_MODULO, ssrc % TIMESTAMP_MODULO
    )


def parse_header(packet: bytes) -> RtpHeader:
    if len(packet) < RTP_HEADER_SIZE:
        raise RtpError(f"RTP packet of {len(packet)} bytes is shorter than the 12-byte header")
    first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(packet)
    if first >> 6 != RTP_VERSION:
        raise RtpError(f"RTP version {first >> 6} is not 2")
    csrc_count = first & 0x0F
    clear_size = RTP_HEADER_SIZE + 4 * csrc_count
    extension_words: int | None = None
    if first & 0x10:
        if len(packet) < clear_size + 4:
            raise RtpError("RTP extension preamble is truncated")
        extension_words = int.from_bytes(packet[clear_size + 2 : clear_size + 4], "big")
        clear_size += 4
    if len(packet) < clear_size:
        raise RtpError("RTP CSRC list is truncated")
    return RtpHeader(
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload_type=second & 0x7F,
        marker=bool(second & 0x80),
        padding=bool(first & 0x20),
        csrc_count=csrc_count,
        extension_words=extension_words,
        clear_size=clear_size,
    )


def sequence_distance(previous: int, current: int) -> int:
    """Signed step from previous to current, across the 16-bit wrap."""
    step = (current - previous) % SEQUENCE_MODULO
    return step - SEQUENCE_MODULO if step >= SEQUENCE_MODULO // 2 else step


def timestamp_distance(previous: int, current: int) -> int:
    step = (current - previous) % TIMESTAMP_MODULO
    return step - TIMESTAMP_MODULO if step >= TIMESTAMP_MODULO // 2 else step


class RtpPacketizer:
    """Hands out consecutive headers; the starting values are arguments so tests and resumes are exact."""

    __slots__ = ("sequence", "ssrc", "timestamp")

    def __init__(self, ssrc: int, sequence: int = 0, timestamp: int = 0) -> None:
        self.ssrc = ssrc
        self.sequence = sequence % SEQUENCE_MODULO
        self.timestamp = timestamp % TIMESTAMP_MODULO

    def next_header(self) -> bytes:
        header = _HEADER.pack(0x80, OPUS_PAYLOAD_TYPE, self.sequence, self.timestamp, self.ssrc)
        self.sequence = (self.sequence + 1) % SEQUENCE_MODULO
        self.timestamp = (self.timestamp + SAMPLES_PER_FRAME) % TIMESTAMP_MODULO
        return header
