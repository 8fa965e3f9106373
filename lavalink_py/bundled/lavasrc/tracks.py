"""A service's track and list metadata as LavaSrc shows it, and its binary form.

LavaSrc's ExtendedAudioSourceManager writes, after sourceName: albumName, albumUrl, artistUrl, artistArtworkUrl,
previewUrl (each a nullable UTF string) and isPreview (a boolean). The same bytes go in `TrackInfo.details`, so a
track string from Java LavaSrc decodes here and ours there, and its pluginInfo (LavaSrcAudioPluginInfoModifier's six
fields) can be rebuilt from any encoded track. No I/O.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any, Literal

from lavalink_py.plugins.api import PlaylistLoaded, Track, TrackInfo, make_track
from lavalink_py.protocol.track_codec import TrackDecodeError, pack_utf, unpack_utf

ListType = Literal["album", "playlist", "artist", "recommendations"]


@dataclass(frozen=True, slots=True)
class ServiceTrack:
    title: str
    author: str
    length_ms: int
    identifier: str
    uri: str | None
    artwork_url: str | None = None
    isrc: str | None = None
    album_name: str | None = None
    album_url: str | None = None
    artist_url: str | None = None
    artist_artwork_url: str | None = None
    preview_url: str | None = None
    is_preview: bool = False


@dataclass(frozen=True, slots=True)
class ServiceList:
    name: str
    type: ListType
    url: str | None
    artwork_url: str | None
    author: str | None
    tracks: list[ServiceTrack] = field(default_factory=list)
    total_tracks: int | None = None


def _nullable(text: str | None) -> bytes:
    return b"\x00" if text is None else b"\x01" + pack_utf(text)


def encode_details(t: ServiceTrack) -> bytes:
    return b"".join((
        _nullable(t.album_name), _nullable(t.album_url), _nullable(t.artist_url), _nullable(t.artist_artwork_url),
        _nullable(t.preview_url), b"\x01" if t.is_preview else b"\x00",
    ))


def decode_details(details: bytes) -> dict[str, Any] | None:
    """pluginInfo from the details bytes; None when they are not LavaSrc's (empty: a track written before them)."""
    values: list[str | None] = []
    pos = 0
    try:
        for _ in range(5):
            present = details[pos]
            pos += 1
            if present:
                text, pos = unpack_utf(details, pos)
                values.append(text)
            else:
                values.append(None)
        (is_preview,) = struct.unpack_from(">?", details, pos)
    except (IndexError, struct.error, TrackDecodeError):
        return None
    album_name, album_url, artist_url, artist_artwork_url, preview_url = values
    return {
        "albumName": album_name, "albumUrl": album_url, "artistUrl": artist_url,
        "artistArtworkUrl": artist_artwork_url, "previewUrl": preview_url, "isPreview": bool(is_preview),
    }


def to_track(source_name: str, t: ServiceTrack) -> Track:
    info = TrackInfo(
        title=t.title, author=t.author, length_ms=t.length_ms, identifier=t.identifier, is_stream=False, uri=t.uri,
        source_name=source_name, artwork_url=t.artwork_url, isrc=t.isrc, details=encode_details(t),
    )
    return make_track(info, decode_details(info.details))


def to_playlist(source_name: str, listing: ServiceList, selected: int = -1) -> PlaylistLoaded:
    # LavaSrc's playlist pluginInfo (ExtendedAudioPlaylist): type, url, artworkUrl, author, totalTracks.
    return PlaylistLoaded(
        listing.name,
        [to_track(source_name, t) for t in listing.tracks],
        selected_track=selected,
        plugin_info={
            "type": listing.type, "url": listing.url, "artworkUrl": listing.artwork_url, "author": listing.author,
            "totalTracks": listing.total_tracks if listing.total_tracks is not None else len(listing.tracks),
        },
    )
