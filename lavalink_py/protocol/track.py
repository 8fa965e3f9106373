"""Track metadata as Lavalink models it, and its JSON form.

`TrackInfo` is what the binary track format carries (see `track_codec`); `Track` adds the encoded string and the
per-request data (`pluginInfo`, `userData`) that Lavalink's JSON shows beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# lavaplayer reports the length of a live stream as Long.MAX_VALUE.
STREAM_LENGTH_MS = 9223372036854775807


@dataclass(frozen=True, slots=True)
class TrackInfo:
    title: str
    author: str
    length_ms: int
    identifier: str
    is_stream: bool
    uri: str | None
    source_name: str
    artwork_url: str | None = None
    isrc: str | None = None
    position_ms: int = 0
    # Source-specific bytes that follow sourceName in the binary format (e.g. the container name of an HTTP track).
    details: bytes = b""

    @property
    def is_seekable(self) -> bool:
        return not self.is_stream


@dataclass(frozen=True, slots=True)
class Track:
    encoded: str
    info: TrackInfo
    plugin_info: dict[str, Any] = field(default_factory=dict)
    user_data: dict[str, Any] = field(default_factory=dict)


def track_info_json(info: TrackInfo, position_ms: int | None = None) -> dict[str, Any]:
    return {
        "identifier": info.identifier,
        "isSeekable": info.is_seekable,
        "author": info.author,
        "length": info.length_ms,
        "isStream": info.is_stream,
        "position": info.position_ms if position_ms is None else position_ms,
        "title": info.title,
        "uri": info.uri,
        "sourceName": info.source_name,
        "artworkUrl": info.artwork_url,
        "isrc": info.isrc,
    }


def track_json(track: Track, position_ms: int | None = None) -> dict[str, Any]:
    return {
        "encoded": track.encoded,
        "info": track_info_json(track.info, position_ms),
        "pluginInfo": track.plugin_info,
        "userData": track.user_data,
    }
