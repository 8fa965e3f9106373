"""The details http and local tracks carry: lavaplayer's container descriptor, one writeUTF."""

from __future__ import annotations

import pytest

from lavalink_py.protocol.track_codec import TrackDecodeError
from lavalink_py.sources.containers import ContainerDescriptor, probe_name


@pytest.mark.parametrize(
    ("ffmpeg", "lavaplayer"),
    [
        ("mp3", "mp3"),
        ("ogg", "ogg"),
        ("flac", "flac"),
        ("wav", "wav"),
        ("matroska,webm", "matroska/webm"),
        ("mov,mp4,m4a,3gp,3g2,mj2", "mp4"),
        ("aac", "adts"),
        ("mpegts", "mpegts-adts"),
        ("asf", "asf"),
    ],
)
def test_probe_names(ffmpeg: str, lavaplayer: str) -> None:
    assert probe_name(ffmpeg) == lavaplayer


def test_descriptor_bytes_are_lavaplayers_write_utf() -> None:
    assert ContainerDescriptor("mp3").to_details() == b"\x00\x03mp3"
    assert ContainerDescriptor("m3u", "hls-outer").to_details() == b"\x00\x0dm3u|hls-outer"
    assert ContainerDescriptor.from_details(b"\x00\x0dm3u|hls-outer") == ContainerDescriptor("m3u", "hls-outer")
    assert ContainerDescriptor.from_details(b"\x00\x04mp3|") == ContainerDescriptor("mp3", "")


def test_known_to_lavaplayer() -> None:
    assert ContainerDescriptor("matroska/webm").known_to_lavaplayer
    assert not ContainerDescriptor("asf").known_to_lavaplayer


@pytest.mark.parametrize("details", [b"", b"\x00\x05mp3", b"\x00\x03mp3extra"])
def test_malformed_details(details: bytes) -> None:
    with pytest.raises(TrackDecodeError, match=r"container descriptor|details"):
        ContainerDescriptor.from_details(details)
