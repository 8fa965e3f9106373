"""An HLS media playlist as the node reads it itself (RFC 8216 section 4.3): its segments, in order. Pure parsing.

Only what reading the media needs: each segment's URL, media sequence number, byte range, the EXT-X-MAP init
section it follows (fMP4) and the EXT-X-KEY it is encrypted with (AES-128 or none; SAMPLE-AES and others are
named so the reader can refuse them), the target duration (how often a live playlist is reloaded) and
EXT-X-ENDLIST. A master playlist's variant is found by `playlists.parse`, as the HTTP source's load does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lavalink_py.sources.playlists import seconds

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
DEFAULT_TARGET_S = 10.0  # a playlist that omits its (mandatory) EXT-X-TARGETDURATION is reloaded at this pace

ByteRange = tuple[int, int]  # (offset, length)


@dataclass(frozen=True, slots=True)
class Key:
    method: str  # "NONE", "AES-128", "SAMPLE-AES", ...
    url: str | None = None
    iv: bytes | None = None  # None: the segment's media sequence number, as RFC 8216 5.2 says


@dataclass(frozen=True, slots=True)
class InitSection:
    url: str
    byte_range: ByteRange | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    url: str
    sequence: int
    duration_s: float
    byte_range: ByteRange | None = None
    init: InitSection | None = None
    key: Key | None = None  # None or method NONE: clear


@dataclass(frozen=True, slots=True)
class MediaPlaylist:
    segments: tuple[Segment, ...]
    target_duration_s: float = DEFAULT_TARGET_S
    ended: bool = False


def attributes(text: str) -> dict[str, str]:
    """An attribute list (`METHOD=AES-128,URI="k.bin"`), quotes removed."""
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(text)}


def _byte_range(text: str, next_offset: int) -> ByteRange | None:
    length, _, offset = text.strip().partition("@")
    if not length.isdigit() or (offset and not offset.isdigit()):
        return None
    return (int(offset) if offset else next_offset, int(length))


def _iv(text: str | None) -> bytes | None:
    if not text or not text.lower().startswith("0x"):
        return None
    try:
        return bytes.fromhex(text[2:].rjust(32, "0"))[-16:]
    except ValueError:
        return None


def parse_media(data: bytes, base_url: str) -> MediaPlaylist:
    """The segments of a media playlist at `base_url` (relative URIs resolved against it)."""
    lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines()]
    segments: list[Segment] = []
    sequence = 0
    target = DEFAULT_TARGET_S
    duration = 0.0
    byte_range: ByteRange | None = None
    next_offset = 0  # where a BYTERANGE without an offset starts: right after the previous one
    init: InitSection | None = None
    key: Key | None = None
    for line in lines:
        tag, _, value = line.partition(":")
        if tag == "#EXT-X-MEDIA-SEQUENCE" and value.isdigit():
            sequence = int(value)
        elif tag == "#EXT-X-TARGETDURATION":
            target = seconds(value) or target
        elif tag == "#EXTINF":
            duration = seconds(value.partition(",")[0])
        elif tag == "#EXT-X-BYTERANGE":
            byte_range = _byte_range(value, next_offset)
        elif tag == "#EXT-X-MAP":
            found = attributes(value)
            if "URI" in found:
                init_range = _byte_range(found["BYTERANGE"], 0) if "BYTERANGE" in found else None
                init = InitSection(urljoin(base_url, found["URI"]), init_range)
        elif tag == "#EXT-X-KEY":
            found = attributes(value)
            method = found.get("METHOD", "NONE")
            key = None if method == "NONE" else Key(
                method, urljoin(base_url, found["URI"]) if "URI" in found else None, _iv(found.get("IV")))
        elif line and not line.startswith("#"):
            segments.append(Segment(urljoin(base_url, line), sequence, duration, byte_range, init, key))
            next_offset = byte_range[0] + byte_range[1] if byte_range else 0
            sequence += 1
            duration, byte_range = 0.0, None
    return MediaPlaylist(tuple(segments), target, "#EXT-X-ENDLIST" in lines)
