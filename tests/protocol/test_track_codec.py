"""The track codec against Lavalink's own encoded tracks, round trips, and any input at all."""

from __future__ import annotations

import base64
import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.protocol.track_codec import TrackDecodeError, decode_track, encode_track
from tests.api.test_players import TRACK_A, TRACK_C

TRACK_B = (
    "QAAAgQIAGEFyY2hpdGVjdHMgLSAiZGVlcCBmYWtlIgAPRXBpdGFwaCBSZWNvcmRzAAAAAAADQ/AAC1RuQ1VKVlBRSDNJAAEAK2h0dHBzOi8vd3d3LnlvdXR1"
    "YmUuY29tL3dhdGNoP3Y9VG5DVUpWUFFIM0kAB3lvdXR1YmUAAAAAAAAAAA=="
)


def test_vector_a_lavalink_docs_version_2() -> None:
    info = decode_track(TRACK_A)
    assert info == TrackInfo(
        title="Rick Astley - Never Gonna Give You Up",
        author="RickAstleyVEVO",
        length_ms=212000,
        identifier="dQw4w9WgXcQ",
        is_stream=False,
        uri="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_name="youtube",
    )


def test_vector_b_insomnia_version_2() -> None:
    info = decode_track(TRACK_B)
    assert (info.title, info.author, info.length_ms) == ('Architects - "deep fake"', "Epitaph Records", 214000)
    assert (info.identifier, info.source_name, info.position_ms) == ("TnCUJVPQH3I", "youtube", 0)


def test_vector_c_version_3_reencodes_byte_for_byte() -> None:
    info = decode_track(TRACK_C)
    assert info.title == "Rick Astley - Never Gonna Give You Up (Official Music Video)"
    assert info.artwork_url == "https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg"
    assert info.isrc is None
    assert info.length_ms == 213000
    assert encode_track(info) == TRACK_C


def test_modified_utf8_for_nul_and_non_bmp() -> None:
    encoded = encode_track(TrackInfo("a\x00b", "🎵", 1, "id", False, None, "http"))
    raw = base64.b64decode(encoded)
    assert b"a\xc0\x80b" in raw
    assert "🎵".encode("utf-16-be") not in raw
    assert b"\xed\xa0\xbc\xed\xbe\xb5" in raw  # U+1F3B5 as two 3-byte surrogates, as Java writes it
    assert decode_track(encoded).author == "🎵"


def test_string_too_long_for_the_format_fails_on_encode() -> None:
    with pytest.raises(ValueError, match="at most 65535"):
        encode_track(TrackInfo("x" * 70000, "a", 1, "i", False, None, "http"))


@pytest.mark.parametrize(
    ("encoded", "where"),
    [
        ("not base64!", "not base64"),
        ("", "header"),
        (base64.b64encode(struct.pack(">I", 0)).decode(), "size is 0"),
        (base64.b64encode(struct.pack(">I", 0x40000010) + b"\x03").decode(), "exceeds"),
        (base64.b64encode(struct.pack(">I", 0x40000001) + b"\x09").decode(), "version: 9"),
        (base64.b64encode(struct.pack(">I", 0x40000005) + b"\x03\x00\x64AA").decode(), "title: needs 100 bytes"),
    ],
)
def test_decode_errors_say_where(encoded: str, where: str) -> None:
    with pytest.raises(TrackDecodeError, match=where):
        decode_track(encoded)


texts = st.text(max_size=300)
infos = st.builds(
    TrackInfo,
    title=texts,
    author=texts,
    length_ms=st.integers(-(2**63), 2**63 - 1),
    identifier=texts,
    is_stream=st.booleans(),
    uri=st.none() | texts,
    source_name=texts,
    artwork_url=st.none() | texts,
    isrc=st.none() | texts,
    position_ms=st.integers(-(2**63), 2**63 - 1),
    details=st.binary(max_size=200),
)


@given(infos)
def test_round_trip(info: TrackInfo) -> None:
    assert decode_track(encode_track(info)) == info


@given(st.text())
def test_any_string_decodes_or_fails_clearly(text: str) -> None:
    with contextlib.suppress(TrackDecodeError):
        decode_track(text)


@given(st.binary(max_size=400))
def test_any_base64_payload_decodes_or_fails_clearly(payload: bytes) -> None:
    with contextlib.suppress(TrackDecodeError):
        decode_track(base64.b64encode(payload).decode())
