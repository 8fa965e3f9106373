"""Assertions shared by the source tests."""

from __future__ import annotations

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, TrackLoaded
from lavalink_py.protocol.track import Track
from lavalink_py.protocol.track_codec import decode_track
from lavalink_py.sources.containers import ContainerDescriptor


def loaded(result: LoadResult | None) -> Track:
    assert isinstance(result, TrackLoaded), result
    track = result.track
    assert decode_track(track.encoded) == track.info
    assert track.plugin_info == {} and track.user_data == {}
    return track


def failed(result: LoadResult | None) -> FriendlyError:
    assert isinstance(result, LoadFailed), result
    return result.error


def container(track: Track) -> str:
    return ContainerDescriptor.from_details(track.info.details).text()
