"""Which of a provider's tracks is the service's track: ISRC first, then title/artist with the length close enough.

No I/O. A candidate carrying a different ISRC is another recording and never chosen. For a provider queried by ISRC
(`ytsearch:"%ISRC%"`), a candidate without an ISRC is accepted on length alone: the provider matched the code. For a
text query it must also carry most of the title's words (and an artist's, when the candidate names one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from lavalink_py.protocol.track import Track, TrackInfo

_WORD = re.compile(r"\w+")
_NOISE = {"official", "video", "audio", "lyrics", "lyric", "hd", "hq", "music", "feat", "ft", "the", "a"}
TITLE_WORDS_NEEDED = 0.7


@dataclass(frozen=True, slots=True)
class Wanted:
    title: str
    author: str
    length_ms: int
    isrc: str | None

    @classmethod
    def of(cls, info: TrackInfo) -> Wanted:
        return cls(info.title, info.author, info.length_ms, info.isrc)


def words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return {w for w in _WORD.findall(folded) if w not in _NOISE}


def _same_isrc(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip() != "" and a.strip().upper() == b.strip().upper()


def _length_ok(wanted: Wanted, info: TrackInfo, tolerance_ms: int) -> bool:
    if info.is_stream:
        return False
    return wanted.length_ms <= 0 or abs(info.length_ms - wanted.length_ms) <= tolerance_ms


def title_score(wanted: Wanted, info: TrackInfo) -> tuple[float, bool]:
    """Share of the wanted title's words found in the candidate's title and author; whether the artist's are too."""
    title = words(wanted.title)
    seen = words(info.title) | words(info.author)
    share = len(title & seen) / len(title) if title else 0.0
    artist = words(wanted.author)
    return share, bool(artist) and artist <= seen


def best_match(wanted: Wanted, candidates: Sequence[Track], *, tolerance_ms: int, by_isrc: bool) -> Track | None:
    for track in candidates:
        if _same_isrc(wanted.isrc, track.info.isrc):
            return track
    usable = [t for t in candidates if not (t.info.isrc and wanted.isrc) and _length_ok(wanted, t.info, tolerance_ms)]
    if by_isrc:
        return usable[0] if usable else None
    best: tuple[tuple[bool, float, int], Track] | None = None
    for track in usable:
        share, artist = title_score(wanted, track.info)
        if share < TITLE_WORDS_NEEDED:
            continue
        rank = (artist, share, -abs(track.info.length_ms - wanted.length_ms))
        if best is None or rank > best[0]:
            best = (rank, track)
    return None if best is None else best[1]
