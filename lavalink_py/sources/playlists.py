"""Playlist files a URL or path may hold instead of media: M3U (and HLS), PLS and plain link lists. Pure parsing.

Detection follows lavaplayer's probes: M3U starts with `#EXTM3U` or `#EXTINF`, PLS with `[playlist]` (any case of
the `p`), a plain list with an http/https/icy link. A playlist of links resolves to its first link (with the title
the playlist gives it), as lavaplayer's probes refer to it; the caller loads that link. One deliberate difference:
lavaplayer treats any M3U with `#EXTINF` entries as HLS, which makes a radio `.m3u` a segment list; here only a
playlist with HLS tags (`#EXT-X-...`) is HLS, so a radio playlist yields the station's stream and its metadata.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin

PlaylistKind = Literal["m3u", "pls", "plain"]

# lavaplayer reads this much of a file to find a plain playlist's first link.
PLAIN_SCAN_BYTES = 1000
_LINK = re.compile(r"(?:https?|icy)://\S.*")
_PLS_FILE = re.compile(r"\s*File([0-9]+)=\s*((?:https?|icy)://.*?)\s*")
_PLS_TITLE = re.compile(r"\s*Title([0-9]+)=(.*?)\s*")


@dataclass(frozen=True, slots=True)
class Entry:
    """A link to load instead of the playlist, and the title the playlist gives it."""

    url: str
    title: str | None


@dataclass(frozen=True, slots=True)
class Hls:
    """An HLS playlist. `variant_url` is set for a master playlist (its first variant); live/length for a media one."""

    variant_url: str | None
    live: bool = True
    length_ms: int | None = None


@dataclass(frozen=True, slots=True)
class NoLinks:
    pass


Parsed = Entry | Hls | NoLinks


def playlist_kind(head: bytes) -> PlaylistKind | None:
    head = head.removeprefix(b"\xef\xbb\xbf")
    if head.startswith((b"#EXTM3U", b"#EXTINF")):
        return "m3u"
    if len(head) >= 10 and head[:1] == b"[" and head[2:10] == b"laylist]":
        return "pls"
    if _LINK.match(head[:PLAIN_SCAN_BYTES].decode("utf-8", "replace")):
        return "plain"
    return None


def _lines(data: bytes) -> list[str]:
    return [line.strip() for line in data.decode("utf-8", "replace").removeprefix("\ufeff").splitlines()]


def parse(kind: PlaylistKind, data: bytes, base_url: str | None) -> Parsed:
    lines = _lines(data)
    if kind == "m3u":
        return parse_m3u(lines, base_url)
    if kind == "pls":
        return parse_pls(lines)
    return parse_plain(lines)


def parse_m3u(lines: list[str], base_url: str | None) -> Parsed:
    if any(line.startswith("#EXT-X-") for line in lines):
        return _parse_hls(lines, base_url)
    title: str | None = None
    for line in lines:
        if line.startswith("#EXTINF"):
            _, comma, rest = line.partition(",")
            title = rest if comma else None
        elif line and not line.startswith("#"):
            if _LINK.fullmatch(line):
                return Entry(line, title)
            title = None
    return NoLinks()


def _parse_hls(lines: list[str], base_url: str | None) -> Hls:
    expect_variant = False
    length_s = 0.0
    for line in lines:
        if line.startswith("#EXT-X-STREAM-INF"):
            expect_variant = True
        elif expect_variant and line and not line.startswith("#"):
            try:
                return Hls(variant_url=urljoin(base_url, line) if base_url else line)
            except ValueError:  # not a URL urllib can read ("http://[::1"): look for the next variant
                continue
        elif line.startswith("#EXTINF:"):
            length_s += seconds(line[len("#EXTINF:") :].partition(",")[0])
    if "#EXT-X-ENDLIST" in lines:
        # Durations that add up past any float (1e308 twice) leave the length unknown rather than fail the load.
        length_ms = length_s * 1000
        return Hls(variant_url=None, live=False, length_ms=round(length_ms) if math.isfinite(length_ms) else None)
    return Hls(variant_url=None)


def seconds(text: str) -> float:
    """An HLS duration in seconds; 0 when malformed."""
    try:
        value = float(text)
    except ValueError:
        return 0.0  # a malformed duration only shortens the reported length; playback reads every segment
    # float() reads "inf" and "nan" too, which no segment lasts; they count as malformed.
    return value if math.isfinite(value) and value > 0 else 0.0


def parse_pls(lines: list[str]) -> Parsed:
    files: dict[int, str] = {}
    titles: dict[int, str] = {}
    for line in lines:
        if match := _PLS_FILE.fullmatch(line):
            files[int(match[1])] = match[2]
        elif match := _PLS_TITLE.fullmatch(line):
            titles[int(match[1])] = match[2]
    if not files:
        return NoLinks()
    first = min(files)
    return Entry(files[first], titles.get(first) or None)


def parse_plain(lines: list[str]) -> Parsed:
    for line in lines:
        if _LINK.fullmatch(line):
            return Entry(line, None)
    return NoLinks()
