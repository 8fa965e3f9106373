"""The songs the fake services know, and what a mirror provider offers for them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Song:
    spotify_id: str  # base62, 22 characters
    apple_id: str
    deezer_id: int
    title: str
    artist: str
    artist_spotify_id: str
    album: str
    album_spotify_id: str
    duration_ms: int
    isrc: str


@dataclass(frozen=True)
class Mirror:
    """One track a mirror provider returns. `isrc_hits`: ISRCs whose search lists it (a decoy may be listed for an
    ISRC it does not carry, as YouTube's search does)."""

    identifier: str
    title: str
    author: str
    length_ms: int
    media: str  # URL of its audio
    isrc: str | None = None
    isrc_hits: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


@dataclass
class Catalog:
    songs: list[Song]
    playlists: dict[str, tuple[str, str, list[Song]]] = field(default_factory=dict)  # id -> (name, owner, songs)
    mirrors: list[Mirror] = field(default_factory=list)

    def by(self, attr: str, value: object) -> Song | None:
        return next((s for s in self.songs if getattr(s, attr) == value), None)
