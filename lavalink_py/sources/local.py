"""The `local` source: audio files on this machine's disk (lavaplayer's LocalAudioSourceManager).

An identifier is ours only when it names a readable regular file; otherwise the next manager is asked, and with
none left the result is empty, as in lavaplayer. The identifier and uri are the path exactly as given; the details
hold the container name (`containers`). Playlist files are not followed here (lavaplayer would load their first
link through the other sources); they fail as "Unknown file format.".
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, TrackLoaded
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.probe import MediaProbe, ProbeError
from lavalink_py.sources.tracks import media_track


def _readable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.R_OK)


def ffmpeg_url(path: str) -> str:
    # The file: prefix stops FFmpeg from reading "name:rest" in a file name as a protocol.
    return "file:" + str(Path(path).absolute())


class LocalSourceManager:
    def __init__(self, probe: MediaProbe | None = None) -> None:
        self.probe = probe or MediaProbe()

    @property
    def name(self) -> str:
        return "local"

    async def load_item(self, identifier: str) -> LoadResult | None:
        if "\x00" in identifier or not await asyncio.to_thread(_readable_file, identifier):
            return None
        try:
            media = await self.probe.probe(ffmpeg_url(identifier))
        except ProbeError as exc:
            if exc.unknown_format:
                return LoadFailed(FriendlyError("Unknown file format.", "common", cause=exc.cause))
            return LoadFailed(FriendlyError("Failed to open file for reading.", "suspicious", cause=exc.cause))
        return TrackLoaded(media_track(identifier, media, self.name))

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return StreamSpec(url=ffmpeg_url(info.identifier), is_live=info.is_stream)
