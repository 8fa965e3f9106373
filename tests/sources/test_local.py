"""The `local` source: files on disk, present, absent and not audio."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import av
import pytest

from lavalink_py.protocol.load_result import FriendlyError
from lavalink_py.protocol.track_codec import decode_track
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.local import LocalSourceManager
from lavalink_py.sources.probe import MediaProbe
from tests.sources.conftest import MediaServer
from tests.sources.helpers import container, failed, loaded


@pytest.fixture
def local(probe: MediaProbe) -> LocalSourceManager:
    return LocalSourceManager(probe)


@pytest.mark.parametrize(
    ("name", "probe_name", "title"),
    [("tagged.mp3", "mp3", "Tone Title"), ("tone.flac", "flac", "Tone Title"), ("tone.wav", "wav", "Unknown title")],
)
async def test_audio_file_is_a_track(
    local: LocalSourceManager, media_dir: Path, name: str, probe_name: str, title: str
) -> None:
    path = str(media_dir / name)
    track = loaded(await local.load_item(path))
    info = track.info
    assert (info.identifier, info.uri, info.source_name, info.title) == (path, path, "local", title)
    assert not info.is_stream and 1900 <= info.length_ms <= 2100
    assert container(track) == probe_name


async def test_relative_path_keeps_its_spelling(
    local: LocalSourceManager, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(media_dir)
    track = loaded(await local.load_item("tone.ogg"))
    assert track.info.identifier == "tone.ogg"
    assert (await local.open_stream(track.info)).url == f"file:{media_dir / 'tone.ogg'}"


async def test_colon_in_file_name_is_not_a_protocol(local: LocalSourceManager, media_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "http:odd name.mp3"
    shutil.copy(media_dir / "tagged.mp3", path)
    assert loaded(await local.load_item(str(path))).info.title == "Tone Title"


@pytest.mark.parametrize("identifier", ["/no/such/file.mp3", "https://example.com/a.mp3", "ytsearch:x", "a\x00b"])
async def test_missing_file_is_not_a_match(local: LocalSourceManager, identifier: str) -> None:
    assert await local.load_item(identifier) is None


async def test_directory_is_not_a_match(local: LocalSourceManager, tmp_path: Path) -> None:
    assert await local.load_item(str(tmp_path)) is None


@pytest.mark.parametrize("content", [b"just some text\n" * 50, b"<html><body>hello</body></html>", b""])
async def test_file_that_is_not_audio_fails(local: LocalSourceManager, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(content)
    error = failed(await local.load_item(str(path)))
    assert (error.message, error.severity) == ("Unknown file format.", "common")


async def test_open_stream_spec_plays_in_pyav(local: LocalSourceManager, media_dir: Path) -> None:
    track = loaded(await local.load_item(str(media_dir / "tone.m4a")))
    spec = await local.open_stream(decode_track(track.encoded))

    def first_frame_samples() -> int:
        with av.open(spec.url, options=spec.options) as media:
            return int(next(media.decode(audio=0)).samples)

    assert await asyncio.to_thread(first_frame_samples) > 0
    assert not spec.is_live


async def test_playlist_file_loads_its_link_through_http(
    probe: MediaProbe, media_server: MediaServer, tmp_path: Path
) -> None:
    path = tmp_path / "radio.pls"
    path.write_text(f"[playlist]\nFile1={media_server.url('/media/untagged.mp3')}\nTitle1=From Disk\n")
    http = HttpSourceManager(probe)
    try:
        track = loaded(await LocalSourceManager(probe, http).load_item(str(path)))
    finally:
        await http.close()
    assert (track.info.source_name, track.info.title) == ("http", "From Disk")
    assert track.info.identifier == media_server.url("/media/untagged.mp3")


async def test_playlist_file_without_http_source_is_not_a_match(local: LocalSourceManager, tmp_path: Path) -> None:
    path = tmp_path / "radio.m3u"
    path.write_text("#EXTM3U\nhttp://radio.invalid/stream\n")
    assert await local.load_item(str(path)) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#EXTM3U\nrelative.mp3\n", "The playlist file contains no links."),
        ("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nseg.ts\n", "Unknown file format."),
    ],
)
async def test_playlist_file_failures(local: LocalSourceManager, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "list.m3u8"
    path.write_text(text)
    assert failed(await local.load_item(str(path))).message == message


# --- confinement: lavalink.server.localDirectories ------------------------------------------------------------------


@pytest.fixture
def confined(probe: MediaProbe, tmp_path: Path, media_dir: Path) -> tuple[LocalSourceManager, Path, Path]:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    shutil.copy(media_dir / "tone.wav", allowed / "in.wav")
    outside = tmp_path / "outside.wav"
    shutil.copy(media_dir / "tone.wav", outside)
    return LocalSourceManager(probe, directories=[str(allowed)]), allowed, outside


async def test_confined_source_loads_files_inside_its_directories(
    confined: tuple[LocalSourceManager, Path, Path],
) -> None:
    local, allowed, _ = confined
    track = loaded(await local.load_item(str(allowed / "in.wav")))
    assert (await local.open_stream(track.info)).url == f"file:{allowed / 'in.wav'}"


async def test_confined_source_treats_paths_outside_as_absent(confined: tuple[LocalSourceManager, Path, Path]) -> None:
    local, allowed, outside = confined
    (allowed / "link.wav").symlink_to(outside)
    for path in (outside, allowed / ".." / "outside.wav", allowed / "link.wav", Path("/etc/hostname")):
        assert await local.load_item(str(path)) is None, path


async def test_confined_source_refuses_to_play_a_crafted_track_outside(
    confined: tuple[LocalSourceManager, Path, Path], probe: MediaProbe, tmp_path: Path
) -> None:
    local, _, outside = confined
    # A track loaded by an unconfined node (or written by hand) names a path outside the directories.
    track = loaded(await LocalSourceManager(probe).load_item(str(outside)))
    with pytest.raises(FriendlyError) as refused:
        await local.open_stream(track.info)
    assert refused.value.message == "Failed to open file for reading."
