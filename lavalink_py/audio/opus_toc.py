"""How long an Opus packet plays, read from its TOC byte (RFC 6716 section 3.1).

Containers may declare a shorter duration for the last packet (end trimming), so passthrough decides from
the packet itself: only packets that carry exactly 20 ms go through untouched.
"""

from __future__ import annotations

# Frame size in 48 kHz samples for each of the 32 TOC configurations.
_SILK = (480, 960, 1920, 2880)  # 10, 20, 40, 60 ms
_HYBRID = (480, 960)
_CELT = (120, 240, 480, 960)  # 2.5, 5, 10, 20 ms
_FRAME_SAMPLES = tuple(_SILK[c % 4] for c in range(12)) + tuple(_HYBRID[c % 2] for c in range(4)) + _CELT * 4


def opus_packet_samples(packet: bytes) -> int:
    """Samples per channel at 48 kHz that `packet` decodes to; 0 if it is not a valid Opus packet."""
    if not packet:
        return 0
    toc = packet[0]
    per_frame = _FRAME_SAMPLES[toc >> 3]
    code = toc & 0x3
    if code == 0:
        return per_frame
    if code in (1, 2):
        return 2 * per_frame
    if len(packet) < 2:
        return 0
    return (packet[1] & 0x3F) * per_frame
