"""The encoded-track format (reference §9): Lavalink's own vectors, round trips, modified UTF-8, and a fuzz contract."""

from __future__ import annotations

import base64
import struct
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from lavalink_py.protocol.track_codec import (
    TrackDecodeError,
    TrackEncodeError,
    decode_track,
    encode_track,
    pack_utf,
    unpack_utf,
)

VECTOR_A = (
    "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0"
    "dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA=="
)
VECTOR_B = (
    "QAAAgQIAGEFyY2hpdGVjdHMgLSAiZGVlcCBmYWtlIgAPRXBpdGFwaCBSZWNvcmRzAAAAAAADQ/AAC1RuQ1VKVlBRSDNJAAEAK2h0dHBzOi8vd3d3Ln"
    "lvdXR1YmUuY29tL3dhdGNoP3Y9VG5DVUpWUFFIM0kAB3lvdXR1YmUAAAAAAAAAAA=="
)
VECTOR_C = (
    "QAAA2QMAPFJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAgKE9mZmljaWFsIE11c2ljIFZpZGVvKQALUmljayBBc3RsZXkAAAAAAANA"
    "CAALZFF3NHc5V2dYY1EAAQAraHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g/dj1kUXc0dzlXZ1hjUQEANGh0dHBzOi8vaS55dGltZy5jb20vdmkv"
    "ZFF3NHc5V2dYY1EvbWF4cmVzZGVmYXVsdC5qcGcAAAd5b3V0dWJlAAAAAAAAAAA="
)

# From the @lavalink/encoding README (itslukej/encoding): a second real version-2 track.
VECTOR_D = (
    "QAAAkwIANFNrcmlsbGV4ICYgSGFic3RyYWt0IC0gQ2hpY2tlbiBTb3VwIFtPZmZpY2lhbCBBdWRpb10ABU9XU0xBAAAAAAADLIAACzIyTVdyV1BWX1FN"
    "AAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9MjJNV3JXUFZfUU0AB3lvdXR1YmUAAAAAAAAAAA=="
)


def _info(**changes: object) -> TrackInfo:
    base = TrackInfo(
        title="t", author="a", length_ms=1000, identifier="id", is_stream=False, uri=None, source_name="http"
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _raw(encoded: str) -> bytes:
    return base64.b64decode(encoded)


# --- Lavalink's vectors ---------------------------------------------------------------------------------------------


def test_vector_a_version_2() -> None:
    assert decode_track(VECTOR_A) == TrackInfo(
        title="Rick Astley - Never Gonna Give You Up",
        author="RickAstleyVEVO",
        length_ms=212000,
        identifier="dQw4w9WgXcQ",
        is_stream=False,
        uri="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_name="youtube",
    )


def test_vector_b_version_2() -> None:
    info = decode_track(VECTOR_B)
    assert (info.title, info.author, info.length_ms) == ('Architects - "deep fake"', "Epitaph Records", 214000)
    assert (info.identifier, info.uri) == ("TnCUJVPQH3I", "https://www.youtube.com/watch?v=TnCUJVPQH3I")
    assert (info.source_name, info.details, info.position_ms, info.artwork_url) == ("youtube", b"", 0, None)


def test_vector_d_version_2() -> None:
    assert decode_track(VECTOR_D) == TrackInfo(
        title="Skrillex & Habstrakt - Chicken Soup [Official Audio]",
        author="OWSLA",
        length_ms=208000,
        identifier="22MWrWPV_QM",
        is_stream=False,
        uri="https://www.youtube.com/watch?v=22MWrWPV_QM",
        source_name="youtube",
    )


def test_vector_c_version_3_reencodes_byte_for_byte() -> None:
    info = decode_track(VECTOR_C)
    assert info == TrackInfo(
        title="Rick Astley - Never Gonna Give You Up (Official Music Video)",
        author="Rick Astley",
        length_ms=213000,
        identifier="dQw4w9WgXcQ",
        is_stream=False,
        uri="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_name="youtube",
        artwork_url="https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg",
        isrc=None,
    )
    assert encode_track(info) == VECTOR_C


def test_version_2_reencodes_as_version_3() -> None:
    reencoded = _raw(encode_track(decode_track(VECTOR_A)))
    original = _raw(VECTOR_A)
    assert reencoded[4] == 3
    # Version 3 adds the two absent-flag bytes (artworkUrl, isrc) after uri.
    assert len(reencoded) == len(original) + 2
    assert decode_track(base64.b64encode(reencoded).decode()) == decode_track(VECTOR_A)


# --- layout details -------------------------------------------------------------------------------------------------


def test_header_is_versioned_flag_and_size() -> None:
    raw = _raw(encode_track(_info()))
    (header,) = struct.unpack(">I", raw[:4])
    assert header >> 30 == 1
    assert header & 0x3FFFFFFF == len(raw) - 4


def test_unversioned_message_is_version_1_without_uri() -> None:
    body = pack_utf("T") + pack_utf("A") + struct.pack(">q", 5) + pack_utf("I") + b"\x01" + pack_utf("local")
    body += struct.pack(">q", 77)
    data = struct.pack(">I", len(body)) + body
    info = decode_track(base64.b64encode(data).decode())
    assert info == TrackInfo("T", "A", 5, "I", True, None, "local", position_ms=77)


def test_details_sit_between_source_name_and_position() -> None:
    info = _info(details=pack_utf("mp3"), position_ms=1234)
    raw = _raw(encode_track(info))
    assert raw.endswith(pack_utf("http") + pack_utf("mp3") + struct.pack(">q", 1234))
    assert decode_track(encode_track(info)) == info


def test_stream_length_is_java_long_max() -> None:
    info = _info(is_stream=True, length_ms=STREAM_LENGTH_MS)
    assert decode_track(encode_track(info)).length_ms == 2**63 - 1


def test_padding_is_written_and_optional_on_read() -> None:
    encoded = encode_track(_info(title="ab"))
    assert len(encoded) % 4 == 0
    assert decode_track(encoded.rstrip("=")) == decode_track(encoded)


def test_bytes_after_the_message_are_ignored() -> None:
    raw = _raw(VECTOR_C) + b"\x00\x00\x00\x00junk"
    assert decode_track(base64.b64encode(raw).decode()) == decode_track(VECTOR_C)


# --- modified UTF-8 -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("", b""),
        ("abc", b"abc"),
        ("\x00", b"\xc0\x80"),
        ("é", b"\xc3\xa9"),
        ("€", b"\xe2\x82\xac"),
        ("😀", b"\xed\xa0\xbd\xed\xb8\x80"),  # U+1F600 as the surrogates D83D DE00, three bytes each
        ("a\x00😀b", b"a\xc0\x80\xed\xa0\xbd\xed\xb8\x80b"),
    ],
)
def test_modified_utf8(text: str, encoded: bytes) -> None:
    assert pack_utf(text) == struct.pack(">H", len(encoded)) + encoded
    assert unpack_utf(pack_utf(text)) == (text, 2 + len(encoded))


def test_java_lenient_forms_decode() -> None:
    # Java's readUTF accepts a raw NUL, overlong forms and lone surrogates; Lavalink can produce them, so we read them.
    assert unpack_utf(b"\x00\x01\x00")[0] == "\x00"
    assert unpack_utf(b"\x00\x02\xc1\x81")[0] == "A"
    assert unpack_utf(b"\x00\x03\xe0\x81\x81")[0] == "A"
    assert unpack_utf(b"\x00\x03\xed\xa0\xbd")[0] == "\ud83d"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xf0\x9f\x98\x80", "cannot start a character"),  # 4-byte UTF-8 is not modified UTF-8
        (b"\x80", "cannot start a character"),
        (b"a\xc3", "partial 2-byte"),
        (b"\xe2\x82", "partial 3-byte"),
        (b"\xc3(", "malformed 2-byte"),
        (b"\xe2(\xac", "malformed 3-byte"),
    ],
)
def test_malformed_text_names_field_and_byte(payload: bytes, reason: str) -> None:
    with pytest.raises(TrackDecodeError, match=reason) as caught:
        unpack_utf(struct.pack(">H", len(payload)) + payload, field="title")
    assert caught.value.field == "title"
    assert caught.value.offset is not None and 2 <= caught.value.offset < 2 + len(payload)


def test_string_over_65535_bytes_fails_on_encode() -> None:
    with pytest.raises(TrackEncodeError, match="title is 65536 bytes"):
        encode_track(_info(title="x" * 65536))
    # Three bytes each in modified UTF-8: 21846 * 3 = 65538.
    with pytest.raises(TrackEncodeError, match="author is 65538 bytes"):
        encode_track(_info(author="€" * 21846))
    assert decode_track(encode_track(_info(title="x" * 65535))).title == "x" * 65535


def test_integer_out_of_range_fails_on_encode() -> None:
    with pytest.raises(TrackEncodeError, match="position"):
        encode_track(_info(position_ms=2**63))


# --- decode errors say where and why ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("not base64!", "not base64"),
        ("QUJD", "too short for the 4-byte message header"),
        ("AAAAAA==", "message size is 0"),
        (base64.b64encode(b"\x40\x00\x00\x10\x03").decode(), "announces 16 bytes but only 1 follow"),
        (base64.b64encode(b"\x40\x00\x00\x01\x09").decode(), "unsupported track format version 9"),
        ("ü", "non-ASCII"),
    ],
)
def test_decode_errors(encoded: str, message: str) -> None:
    with pytest.raises(TrackDecodeError, match=message):
        decode_track(encoded)


def test_truncated_message_names_the_field() -> None:
    raw = _raw(VECTOR_C)
    cut = raw[:40]
    cut = struct.pack(">I", 0x40000000 | (len(cut) - 4)) + cut[4:]
    with pytest.raises(TrackDecodeError, match=r"in title at byte 7: needs 60 bytes") as caught:
        decode_track(base64.b64encode(cut).decode())
    assert (caught.value.field, caught.value.offset) == ("title", 7)


def test_message_too_short_for_position() -> None:
    raw = bytearray(_raw(encode_track(_info())))
    body = raw[4:-8] + b"\x00\x00\x00"
    data = struct.pack(">I", 0x40000000 | len(body)) + body
    with pytest.raises(TrackDecodeError, match="in position"):
        decode_track(base64.b64encode(data).decode())


# --- properties -----------------------------------------------------------------------------------------------------

_texts = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(["\x00", "a", "é", "€", "😀", "\U0010ffff", "\uffff", "\u0800"])),
    st.text(max_size=20),
)
_i64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)

track_infos = st.builds(
    TrackInfo,
    title=_texts,
    author=_texts,
    length_ms=_i64,
    identifier=_texts,
    is_stream=st.booleans(),
    uri=st.none() | _texts,
    source_name=_texts,
    artwork_url=st.none() | _texts,
    isrc=st.none() | _texts,
    position_ms=_i64,
    details=st.binary(max_size=300),
)


@given(track_infos)
@settings(max_examples=200, deadline=None)
def test_round_trip(info: TrackInfo) -> None:
    encoded = encode_track(info)
    assert decode_track(encoded) == info
    assert encode_track(decode_track(encoded)) == encoded


@given(
    st.text(alphabet=st.sampled_from(["x", "\x00", "é", "€", "😀"]), min_size=1, max_size=8),
    st.integers(1000, 65535),
    st.binary(),
)
@settings(max_examples=30, deadline=None)
def test_round_trip_long_strings(unit: str, repeat: int, details: bytes) -> None:
    text = unit * min(repeat, 65533 // len(pack_utf(unit)))
    assert len(pack_utf(text)) > 1000
    info = _info(title=text, author=text[::-1], uri=text, details=details)
    assert decode_track(encode_track(info)) == info


@given(st.text())
@settings(max_examples=300)
def test_pack_utf_is_java_length_prefixed(text: str) -> None:
    packed = pack_utf(text)
    (length,) = struct.unpack(">H", packed[:2])
    assert length == len(packed) - 2
    assert b"\x00" not in packed[2:]
    assert not any(b >= 0xF0 for b in packed[2:])


def _decode_contract(encoded: str) -> None:
    try:
        info = decode_track(encoded)
    except TrackDecodeError as exc:
        assert str(exc).startswith("Cannot decode track")
    else:
        assert isinstance(info, TrackInfo)


@given(st.text())
@settings(max_examples=500)
def test_fuzz_any_text(encoded: str) -> None:
    _decode_contract(encoded)


@given(st.binary(max_size=400))
@settings(max_examples=500)
def test_fuzz_any_bytes(data: bytes) -> None:
    _decode_contract(base64.b64encode(data).decode())


@given(track_infos, st.data())
@settings(max_examples=200, deadline=None)
def test_fuzz_mutated_tracks(info: TrackInfo, data: st.DataObject) -> None:
    raw = bytearray(_raw(encode_track(info)))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    _decode_contract(base64.b64encode(bytes(raw[:cut])).decode())
