"""Tracks of probed media, built as lavaplayer's probing sources build them (`MediaContainerDetection`)."""

from __future__ import annotations

from lavalink_py.protocol.track import STREAM_LENGTH_MS, Track, TrackInfo
from lavalink_py.protocol.track_codec import encode_track
from lavalink_py.sources.containers import ContainerDescriptor
from lavalink_py.sources.probe import MediaInfo

UNKNOWN_TITLE = "Unknown title"
UNKNOWN_ARTIST = "Unknown artist"


def make_track(info: TrackInfo) -> Track:
    return Track(encoded=encode_track(info), info=info)


def media_track(identifier: str, media: MediaInfo, source_name: str, title_hint: str | None = None) -> Track:
    """Title and author from the media's tags, else the hint (a playlist's title), else lavaplayer's placeholders."""
    return make_track(
        TrackInfo(
            title=media.title or title_hint or UNKNOWN_TITLE,
            author=media.author or UNKNOWN_ARTIST,
            length_ms=STREAM_LENGTH_MS if media.length_ms is None else media.length_ms,
            identifier=identifier,
            is_stream=media.is_live,
            uri=identifier,
            source_name=source_name,
            details=ContainerDescriptor(media.container).to_details(),
        )
    )
