import pytest
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.voice.errors import RtpError
from lavalink_py.voice.rtp import (
    RtpPacketizer,
    build_header,
    parse_header,
    sequence_distance,
    timestamp_distance,
)


def test_header_golden_bytes() -> None:
    assert build_header(0x1234, 0xDEADBEEF, 0x01020304) == bytes.fromhex("80781234deadbeef01020304")


def test_packetizer_wraps_sequence_and_timestamp() -> None:
    p = RtpPacketizer(ssrc=7, sequence=0xFFFF, timestamp=0xFFFFFFFF - 959)
    first, second = parse_header(p.next_header()), parse_header(p.next_header())
    assert (first.sequence, first.timestamp) == (0xFFFF, 0xFFFFFFFF - 959)
    assert (second.sequence, second.timestamp) == (0, 0)
    assert sequence_distance(first.sequence, second.sequence) == 1
    assert timestamp_distance(first.timestamp, second.timestamp) == 960


def test_parse_extension_and_csrc() -> None:
    packet = bytes([0x80 | 0x10 | 0x02, 0xF8]) + bytes(10) + bytes(8) + b"\xbe\xde\x00\x03" + bytes(12)
    header = parse_header(packet)
    assert header.csrc_count == 2
    assert header.extension_words == 3
    assert header.clear_size == 12 + 8 + 4
    assert header.marker and header.payload_type == 0x78


@pytest.mark.parametrize("packet", [b"", bytes(11), b"\x40" + bytes(11), b"\x90" + bytes(12)])
def test_parse_rejects(packet: bytes) -> None:
    with pytest.raises(RtpError):
        parse_header(packet)


@given(st.binary(max_size=64))
def test_parse_accepts_or_raises_rtp_error(data: bytes) -> None:
    try:
        header = parse_header(data)
    except RtpError:
        return
    assert header.clear_size <= len(data)
