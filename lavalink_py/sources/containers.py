"""Container names as lavaplayer writes them into the details of `http` and `local` tracks.

lavaplayer's probing sources (`ProbingAudioSourceManager`) write one `writeUTF` after sourceName: the name of the
container probe that recognised the file, then `|parameters` when the probe has any (only the m3u probe does:
`m3u|hls-outer` for an HLS playlist fetched over HTTP). Lavalink refuses a track whose probe name it does not know,
so media FFmpeg finds in one of lavaplayer's containers is described by lavaplayer's name; other formats FFmpeg can
play (which lavaplayer rejects as "Unknown file format.") keep FFmpeg's demuxer name and only decode here.
"""

from __future__ import annotations

from dataclasses import dataclass

from lavalink_py.protocol.track_codec import TrackDecodeError, pack_utf, unpack_utf

# FFmpeg demuxer name -> lavaplayer probe name (MediaContainer.java).
_LAVAPLAYER_NAMES = {
    "wav": "wav",
    "matroska,webm": "matroska/webm",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "flac": "flac",
    "ogg": "ogg",
    "mp3": "mp3",
    "aac": "adts",
    "mpegts": "mpegts-adts",
    "hls": "m3u",
}

HLS_OUTER = "hls-outer"
LAVAPLAYER_PROBES = frozenset({*_LAVAPLAYER_NAMES.values(), "pls", "plain"})


@dataclass(frozen=True, slots=True)
class ContainerDescriptor:
    """lavaplayer's MediaContainerDescriptor: probe name plus optional parameters."""

    probe: str
    parameters: str | None = None

    @property
    def known_to_lavaplayer(self) -> bool:
        return self.probe in LAVAPLAYER_PROBES

    def text(self) -> str:
        return self.probe if self.parameters is None else f"{self.probe}|{self.parameters}"

    def to_details(self) -> bytes:
        return pack_utf(self.text(), "container descriptor")

    @classmethod
    def from_details(cls, details: bytes) -> ContainerDescriptor:
        """Parse the details of an http/local track; raises TrackDecodeError when they are not one string."""
        text, end = unpack_utf(details, 0, "container descriptor")
        if end != len(details):
            raise TrackDecodeError(f"{len(details) - end} bytes follow the container descriptor", end, "details")
        probe, sep, parameters = text.partition("|")
        return cls(probe, parameters if sep else None)


def probe_name(ffmpeg_format: str) -> str:
    """lavaplayer's name for an FFmpeg demuxer, or the demuxer's own name when lavaplayer has no such container."""
    return _LAVAPLAYER_NAMES.get(ffmpeg_format, ffmpeg_format)
