"""Hypothesis strategies for what a hostile or buggy client sends: each mixes valid values (so examples get past
the first check and reach the deeper ones) with values of the wrong type, range, size or encoding."""

from __future__ import annotations

import base64
import functools
import json
import struct
from typing import Any

from hypothesis import strategies as st

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.protocol.track_codec import TrackEncodeError, encode_track

Json = Any

INT64_MAX = 2**63 - 1
# Integers around every bound the API has: Java's int and long, Discord's unsigned 64-bit snowflakes.
EDGE_INTS = st.sampled_from(
    [0, 1, -1, 1000, 1001, 2**31 - 1, 2**31, 2**53 + 1, INT64_MAX, INT64_MAX + 1, 2**64 - 1, 2**64, -(2**63) - 1]
)
INTEGERS = st.integers(-(2**70), 2**70) | EDGE_INTS
# Python's json writes NaN and Infinity, which are not JSON: the node must refuse them as malformed.
NUMBERS = INTEGERS | st.floats(allow_nan=True, allow_infinity=True)
SURROGATES = st.characters(categories=["Cs"])
TEXT = (
    st.text(max_size=20)
    | st.text(st.characters(codec="ascii"), max_size=8)
    | st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), SURROGATES, st.text(max_size=4))
)

json_scalars = st.none() | st.booleans() | NUMBERS | TEXT
json_values: st.SearchStrategy[Json] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def deep(levels: int, leaf: Json = 1) -> Json:
    value = leaf
    for index in range(levels):
        value = [value] if index % 2 else {"k": value}
    return value


# orjson reads 1024 levels and writes 254: what lies between is what a node must refuse, not store.
DEEP_JSON = st.integers(1, 700).map(deep)


def mostly(valid: st.SearchStrategy[Any], *wrong: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # one_of picks its branches evenly: valid three times over, so whole bodies are often valid enough to reach
    # the checks behind the first one (about one in five player bodies is valid under the OpenAPI schema).
    return st.one_of(valid, valid, valid, *wrong, json_values)


def dumps(value: Json) -> bytes:
    # ensure_ascii: a lone surrogate goes on the wire as its \\ud800 escape, as any JSON encoder would send it.
    return json.dumps(value, ensure_ascii=True).encode()


# --- encoded tracks ------------------------------------------------------------------------------------------------

track_text = st.text(max_size=40) | st.text(st.characters(min_codepoint=0x10000), max_size=4) | st.just("\x00a\x00")
track_infos = st.builds(
    TrackInfo,
    title=track_text,
    author=track_text,
    length_ms=st.integers(-(2**63), INT64_MAX),
    identifier=track_text,
    is_stream=st.booleans(),
    uri=st.none() | track_text,
    source_name=st.sampled_from(["http", "local", "youtube", "soundcloud"]) | track_text,
    artwork_url=st.none() | track_text,
    isrc=st.none() | track_text,
    position_ms=st.integers(-(2**63), INT64_MAX),
    details=st.binary(max_size=16),
)


def _encoded(info: TrackInfo) -> str | None:
    try:
        return encode_track(info)
    except TrackEncodeError:
        return None


valid_encoded: st.SearchStrategy[str] = track_infos.map(_encoded).filter(lambda e: e is not None)  # type: ignore[assignment]


@st.composite
def mutated_encoded(draw: st.DrawFn) -> str:
    """A valid track's bytes, damaged: a byte changed, cut short, grown, or a length that lies."""
    raw = bytearray(base64.b64decode(draw(valid_encoded)))
    match draw(st.sampled_from(["flip", "truncate", "insert", "header", "strlen"])):
        case "flip":
            index = draw(st.integers(0, len(raw) - 1))
            raw[index] = draw(st.integers(0, 255))
        case "truncate":
            del raw[draw(st.integers(0, len(raw) - 1)) :]
        case "insert":
            index = draw(st.integers(0, len(raw)))
            raw[index:index] = draw(st.binary(min_size=1, max_size=8))
        case "header":
            raw[0:4] = struct.pack(">I", draw(st.integers(0, 2**32 - 1)))
        case "strlen":  # the title's u16 length, just after the version byte
            raw[5:7] = struct.pack(">H", draw(st.integers(0, 2**16 - 1)))
    return base64.b64encode(bytes(raw)).decode()


garbage_encoded = (
    st.text(max_size=60)
    | st.binary(max_size=60).map(lambda b: base64.b64encode(b).decode())
    | st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))
)
encoded_tracks = valid_encoded | mutated_encoded() | garbage_encoded


# --- identifiers -------------------------------------------------------------------------------------------------


@functools.cache
def identifiers(media: str) -> st.SearchStrategy[str]:
    """What loadtracks can be asked, kept off the network: closed local ports, the test's own files, nonsense."""
    prefixes = st.sampled_from(["ytsearch:", "ytmsearch:", "scsearch:", "bcsearch:", "spsearch:", "local:", ""])
    refused = st.sampled_from(["http://127.0.0.1:1/", "https://127.0.0.1:1/a.mp3?x=", "http://localhost:1/"])
    return st.one_of(
        st.just(media),
        st.builds(lambda p, t: p + t, prefixes, TEXT),
        st.builds(lambda u, t: u + t, refused, TEXT),
        st.sampled_from(["http://", "https://", "http://[::1", "http://%zz/", "ftp://127.0.0.1:1/x", "file:///nope"]),
        st.builds(lambda n, t: "../" * n + t, st.integers(0, 8), st.sampled_from(["nope", "missing.mp3"])),
        st.builds(lambda t: media.rsplit("/", 1)[0] + "/" + t, TEXT),
        TEXT,
    )


playlist_lines = st.one_of(
    st.sampled_from(
        ["#EXTM3U", "#EXT-X-ENDLIST", "#EXT-X-STREAM-INF:BANDWIDTH=1", "#EXT-X-TARGETDURATION:2", "[playlist]"]
    ),
    st.builds(lambda d, t: f"#EXTINF:{d},{t}", st.sampled_from(["1", "-1", "inf", "nan", "1e308", "x", ""]), TEXT),
    st.builds(lambda n, u: f"File{n}={u}", st.integers(-1, 2**70), st.sampled_from(["http://127.0.0.1:1/a", "x"])),
    st.builds(lambda n, t: f"Title{n}={t}", st.integers(0, 3), TEXT),
    st.sampled_from(["http://127.0.0.1:1/a.mp3", "https://localhost:1/s.ts", "seg.ts", "/nope.mp3", "", "http://[::1"]),
    TEXT,
)


# --- request bodies -----------------------------------------------------------------------------------------------

# Fullwidth digits: str.isdigit() says yes to them.
snowflakes = st.integers(0, 2**64 + 10).map(str) | st.sampled_from(["", " 1", "1e3", "-1", "0x10", "\uff11\uff12"])
voice_states = st.fixed_dictionaries(
    {},
    optional={
        "token": mostly(st.text(min_size=1, max_size=10)),
        "endpoint": mostly(st.sampled_from(["127.0.0.1:1", "localhost:1", "", "  "])),
        "sessionId": mostly(st.text(min_size=1, max_size=10)),
        "channelId": mostly(snowflakes),
    },
)

_FILTER_KEYS = {
    "karaoke": ["level", "monoLevel", "filterBand", "filterWidth"],
    "timescale": ["speed", "pitch", "rate"],
    "tremolo": ["frequency", "depth"],
    "vibrato": ["frequency", "depth"],
    "rotation": ["rotationHz"],
    "distortion": ["sinOffset", "sinScale", "cosOffset", "cosScale", "tanOffset", "tanScale", "offset", "scale"],
    "channelMix": ["leftToLeft", "leftToRight", "rightToLeft", "rightToRight"],
    "lowPass": ["smoothing"],
}
filter_numbers = st.floats(-2, 20, allow_nan=False) | st.sampled_from([0, 0.0, 1, 1.0, 14.0, 14.5, -0.25, 5.0])
bands = st.lists(
    st.fixed_dictionaries({}, optional={"band": mostly(st.integers(-1, 15)), "gain": mostly(filter_numbers)}),
    max_size=16,
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "volume": mostly(st.floats(-1, 6, allow_nan=False)),
        "equalizer": mostly(bands),
        "pluginFilters": mostly(st.dictionaries(TEXT, json_values, max_size=3), DEEP_JSON),
        **{
            name: mostly(st.fixed_dictionaries({}, optional={key: mostly(filter_numbers) for key in keys}))
            for name, keys in _FILTER_KEYS.items()
        },
    },
)


@functools.cache
def player_updates(media: str) -> st.SearchStrategy[Json]:
    ints = st.integers(-5, 2000) | INTEGERS
    track = st.fixed_dictionaries(
        {},
        optional={
            "encoded": mostly(encoded_tracks),
            "identifier": mostly(identifiers(media)),
            "userData": mostly(st.dictionaries(TEXT, json_values, max_size=3), DEEP_JSON),
        },
    )
    body = st.fixed_dictionaries(
        {},
        optional={
            "track": mostly(track),
            "encodedTrack": mostly(encoded_tracks),
            "identifier": mostly(identifiers(media)),
            "position": mostly(ints),
            "endTime": mostly(ints),
            "volume": mostly(ints),
            "paused": mostly(st.booleans()),
            "filters": mostly(filters),
            "voice": mostly(voice_states),
        },
    )
    return body | json_values


session_updates = (
    st.fixed_dictionaries(
        {},
        optional={"resuming": mostly(st.booleans()), "timeout": mostly(st.integers(-5, 600) | INTEGERS)},
    )
    | json_values
)

content_types = st.sampled_from(
    ["application/json"] * 6
    + [
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        "a/b",
        "application/xml",
    ]
)
