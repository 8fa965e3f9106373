"""The `local` source: audio files on this machine's disk (lavaplayer's LocalAudioSourceManager).

An identifier is ours only when it names a readable regular file; otherwise the next manager is asked, and with
none left the result is empty, as in lavaplayer. The identifier and uri are the path exactly as given; the details
hold the container name (`containers`). A playlist file (M3U, PLS, plain links) loads its first link through the
HTTP source when one is given, as lavaplayer refers it to the other sources; without one the result is empty.
An HLS playlist on disk is refused as an unknown format: its segments would be read over HTTP from a file.

Confinement: with `directories` given (`lavalink.server.localDirectories`), only files whose real path (symlinks
and `..` resolved) lies inside one of them are ours, for loading and for playing alike (an encoded track names
its path, and a client can write any encoded track). A path outside is treated as a file that does not exist, so
the answer does not tell what the disk holds. Without `directories`, any file the process can read is served.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, TrackLoaded
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources import playlists
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.http import HttpSourceManager, as_http_url
from lavalink_py.sources.probe import MediaProbe, ProbeError
from lavalink_py.sources.tracks import media_track

_MAX_PLAYLIST_BYTES = 1 << 20


def _readable_file(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.R_OK)


def _inside(path: str, directories: tuple[Path, ...]) -> bool:
    real = Path(os.path.realpath(path))
    return any(real.is_relative_to(directory) for directory in directories)


def _read_playlist(path: str) -> tuple[playlists.PlaylistKind, bytes] | None:
    with open(path, "rb") as file:
        head = file.read(playlists.PLAIN_SCAN_BYTES)
        kind = playlists.playlist_kind(head)
        return None if kind is None else (kind, head + file.read(_MAX_PLAYLIST_BYTES))


def ffmpeg_url(path: str) -> str:
    # The file: prefix stops FFmpeg from reading "name:rest" in a file name as a protocol.
    return "file:" + str(Path(path).absolute())


class LocalSourceManager:
    def __init__(
        self, probe: MediaProbe | None = None, http: HttpSourceManager | None = None, directories: Sequence[str] = ()
    ) -> None:
        self.probe = probe or MediaProbe()
        self.http = http
        self.directories = tuple(Path(os.path.realpath(directory)) for directory in directories)

    def _allowed(self, path: str) -> bool:
        """Runs in a worker thread: it touches the disk."""
        if self.directories and not _inside(path, self.directories):
            return False
        return _readable_file(path)

    @property
    def name(self) -> str:
        return "local"

    async def load_item(self, identifier: str) -> LoadResult | None:
        if "\x00" in identifier or not await asyncio.to_thread(self._allowed, identifier):
            return None
        try:
            playlist = await asyncio.to_thread(_read_playlist, identifier)
        except OSError as exc:
            return LoadFailed(FriendlyError("Failed to open file for reading.", "suspicious", cause=str(exc)))
        if playlist is not None:
            return await self._from_playlist(*playlist)
        try:
            media = await self.probe.probe(ffmpeg_url(identifier))
        except ProbeError as exc:
            if exc.unknown_format:
                return LoadFailed(FriendlyError("Unknown file format.", "common", cause=exc.cause))
            return LoadFailed(FriendlyError("Failed to open file for reading.", "suspicious", cause=exc.cause))
        return TrackLoaded(media_track(identifier, media, self.name))

    async def _from_playlist(self, kind: playlists.PlaylistKind, body: bytes) -> LoadResult | None:
        parsed = playlists.parse(kind, body, None)
        if isinstance(parsed, playlists.NoLinks):
            return LoadFailed(FriendlyError("The playlist file contains no links.", "common"))
        if isinstance(parsed, playlists.Hls):
            return LoadFailed(FriendlyError("Unknown file format.", "common", cause="HLS playlists are read over HTTP"))
        url = as_http_url(parsed.url)
        if self.http is None or url is None:
            return None
        return await self.http.load_url(url, parsed.title)

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        if "\x00" in info.identifier or not await asyncio.to_thread(self._allowed, info.identifier):
            raise FriendlyError("Failed to open file for reading.", "suspicious", cause="no such file")
        return StreamSpec(url=ffmpeg_url(info.identifier), is_live=info.is_stream)
