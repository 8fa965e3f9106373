"""LavaLyrics' lyrics object (github:topi314/LavaLyrics, protocol Lyrics.kt), and the hook a source implements to
provide lyrics for its own tracks. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lavalink_py.plugins.api import Track


@dataclass(frozen=True, slots=True)
class LyricsLine:
    timestamp_ms: int
    duration_ms: int | None
    line: str
    plugin: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lyrics:
    source_name: str  # where the lyrics came from ("lrclib", or the track's source)
    provider: str  # who provided them on that source ("LRCLIB", "MusixMatch"...)
    text: str | None
    lines: tuple[LyricsLine, ...] = ()
    plugin: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class LyricsSource(Protocol):
    """A source manager (registered with context.add_source) that can give lyrics for its tracks implements this;
    the lyrics plugin asks the track's own source first unless the client says `skipTrackSource=true`, then the
    sources named in `plugins.lavalyrics.sources`."""

    name: str

    async def load_lyrics(self, track: Track) -> Lyrics | None: ...


def line_json(line: LyricsLine) -> dict[str, Any]:
    return {"timestamp": line.timestamp_ms, "duration": line.duration_ms, "line": line.line, "plugin": line.plugin}


def lyrics_json(lyrics: Lyrics) -> dict[str, Any]:
    return {
        "sourceName": lyrics.source_name,
        "provider": lyrics.provider,
        "text": lyrics.text,
        "lines": [line_json(line) for line in lyrics.lines],
        "plugin": lyrics.plugin,
    }


_LRC_LINE = re.compile(r"^\[(\d+):(\d{1,2})(?:[.:](\d{1,3}))?\](.*)$")


def parse_lrc(text: str) -> tuple[LyricsLine, ...]:
    """LRC (`[mm:ss.xx] words`) into lines with timestamps; a line's duration lasts until the next one's start
    (the last one's is unknown). Lines that are not timed (`[ar: ...]` tags, blanks) are skipped."""
    timed: list[tuple[int, str]] = []
    for raw in text.splitlines():
        match = _LRC_LINE.match(raw.strip())
        if match is None:
            continue
        minutes, seconds, fraction, words = match.groups()
        ms = int((fraction or "0").ljust(3, "0")[:3])
        timed.append(((int(minutes) * 60 + int(seconds)) * 1000 + ms, words.strip()))
    timed.sort(key=lambda pair: pair[0])
    return tuple(
        LyricsLine(at, (timed[i + 1][0] - at) if i + 1 < len(timed) else None, words)
        for i, (at, words) in enumerate(timed)
    )
