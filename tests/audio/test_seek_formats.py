"""Seek lands within ±20 ms on every format the node loads, local and over HTTP (with and without Range).

"Within" is measured against continuous playback of the same file: a file whose encoder put priming samples
in its timeline (AAC in MP4 without an edit list) plays them at position 0, so position X holds the same audio
whether reached by playing or by seeking. Both are located by cross-correlation with the generated sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pytest
from aiohttp import web

from lavalink_py.audio import AudioEngine
from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.containers import ContainerDescriptor
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.routing.outbound import build_outbound
from tests.audio.media import write_media
from tests.audio.test_position import content_at, new_playback
from tests.media import make_hls

SEEK_MS = 1730
ROOT = web.AppKey("root", Path)
# format -> (file name, codec, rate, muxer)
FORMATS = {
    "mp3": ("sweep.mp3", "libmp3lame", 44_100, None),
    "flac": ("sweep.flac", "flac", 44_100, None),
    "wav": ("sweep.wav", "pcm_s16le", 44_100, None),
    "ogg-opus": ("sweep.opus.ogg", "libopus", 48_000, "ogg"),
    "ogg-vorbis": ("sweep.vorbis.ogg", "vorbis", 44_100, "ogg"),
    "m4a-moov-end": ("sweep.end.m4a", "aac", 44_100, "ipod"),
    "m4a-moov-start": ("sweep.start.m4a", "aac", 44_100, "ipod"),
    "webm-opus": ("sweep.webm", "libopus", 48_000, "webm"),
}


def moov_first(path: Path) -> bool:
    data = path.read_bytes()
    return data.find(b"moov") < data.find(b"mdat")


def faststart(path: Path) -> Path:
    """Rewrite an MP4 with its index first (FFmpeg's `-movflags +faststart`), packets copied."""
    import av

    out = path.with_name("fs-" + path.name)
    with av.open(str(path)) as src, av.open(str(out), "w", format="ipod", options={"movflags": "+faststart"}) as dst:
        stream = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    out.replace(path)
    return path


@dataclass(frozen=True)
class Library:
    root: Path
    files: dict[str, Path]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    root = tmp_path_factory.mktemp("seek-media")
    files = {
        fmt: write_media(root / name, codec, rate, 3.0, fmt=mux) for fmt, (name, codec, rate, mux) in FORMATS.items()
    }
    faststart(files["m4a-moov-start"])
    assert not moov_first(files["m4a-moov-end"]) and moov_first(files["m4a-moov-start"])
    make_hls(files["flac"], root / "hls", rate=44_100)
    return Library(root, files)


async def no_ranges(request: web.Request) -> web.StreamResponse:
    """A server that ignores Range (like `python -m http.server`): every answer is the whole file, 200."""
    path = request.app[ROOT] / request.match_info["name"]
    data = path.read_bytes()
    response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
    response.content_length = len(data)
    await response.prepare(request)
    for i in range(0, len(data), 16384):
        await response.write(data[i : i + 16384])
    return response


@pytest.fixture
async def base_url(library: Library) -> AsyncIterator[str]:
    app = web.Application()
    app[ROOT] = library.root
    app.router.add_static("/files", library.root)
    app.router.add_get("/plain/{name:.+}", no_ranges)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def seek_error_ms(engine: AudioEngine, spec: StreamSpec, seek_ms: int = SEEK_MS) -> float:
    playback, sink, events = new_playback(engine)
    playback.start(spec)
    await engine.pump(25)
    lead_s = content_at(sink.frames, 5) - 0.100  # where continuous playback is relative to its position
    playback.seek(seek_ms)
    await engine.pump(30)
    assert len(sink.frames) == 55, events.log
    assert events.failures == []
    return (content_at(sink.frames, 25) - seek_ms / 1000 - lead_s) * 1000


Where = Callable[[Library, str, str], StreamSpec]
WHERE: dict[str, Where] = {
    "local": lambda lib, base, fmt: StreamSpec("file:" + str(lib.files[fmt])),
    "http": lambda lib, base, fmt: StreamSpec(f"{base}/files/{lib.files[fmt].name}"),
    "http-no-range": lambda lib, base, fmt: StreamSpec(f"{base}/plain/{lib.files[fmt].name}", seekable=False),
    # A plugin's source handing PyAV its own file object (StreamSpec.open_file).
    "plugin-file": lambda lib, base, fmt: StreamSpec(f"plugin:{fmt}", open_file=lambda: lib.files[fmt].open("rb")),
}


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("fmt", list(FORMATS))
async def test_seek_lands_within_20_ms(
    engine: AudioEngine, library: Library, base_url: str, fmt: str, where: str
) -> None:
    error_ms = await seek_error_ms(engine, WHERE[where](library, base_url, fmt))
    assert abs(error_ms) <= 20, f"{error_ms:.1f} ms"


@pytest.mark.parametrize("prefix", ["files", "plain"])
async def test_seek_on_hls(engine: AudioEngine, base_url: str, library: Library, prefix: str) -> None:
    error_ms = await seek_error_ms(engine, StreamSpec(f"{base_url}/{prefix}/hls/index.m3u8"))
    assert abs(error_ms) <= 20, f"{error_ms:.1f} ms"


async def test_a_plugins_file_objects_are_all_closed(engine: AudioEngine, library: Library) -> None:
    # Each open (the first, the seek's new stream) gets a new file object from the plugin; none is left open.
    opened: list[BinaryIO] = []

    def open_file() -> BinaryIO:
        opened.append(library.files["mp3"].open("rb"))
        return opened[-1]

    error_ms = await seek_error_ms(engine, StreamSpec("plugin:mp3", open_file=open_file))
    assert abs(error_ms) <= 20, f"{error_ms:.1f} ms"
    for playback in list(engine.playbacks):
        engine.remove_playback(playback)  # the streams close on the io pool: wait for it, bounded
    async with asyncio.timeout(10):
        while not all(file.closed for file in opened):
            await asyncio.sleep(0.02)
    assert len(opened) >= 2


def info(url: str, container: str = "mp4") -> TrackInfo:
    return TrackInfo("t", "a", 3000, url, False, url, "http", details=ContainerDescriptor(container).to_details())


async def test_http_source_detects_servers_without_range(base_url: str, library: Library) -> None:
    manager = HttpSourceManager()
    try:
        name = library.files["m4a-moov-end"].name
        assert (await manager.open_stream(info(f"{base_url}/files/{name}"))).seekable
        assert not (await manager.open_stream(info(f"{base_url}/plain/{name}"))).seekable
        # HLS is read segment by segment by FFmpeg's hls demuxer, whatever the server does with Range.
        assert (await manager.open_stream(info(f"{base_url}/plain/hls/index.m3u8", "m3u"))).seekable
    finally:
        await manager.close()


@pytest.mark.parametrize("seek_ms", [SEEK_MS, 2300])
@pytest.mark.parametrize("prefix", ["files", "plain"])
async def test_seek_on_hls_read_through_the_route_planner(
    engine: AudioEngine, base_url: str, library: Library, prefix: str, seek_ms: int
) -> None:
    # With a planner the node fetches the playlist and segments itself (HlsFile, forward only): the seek reopens
    # it at the segment holding the target (for 2300 ms the second of the 1 s segments) and reads forwards to it,
    # landing as exactly as FFmpeg's own seek.
    outbound = build_outbound(RateLimitSettings(ip_blocks=("127.0.10.8/29",)))
    spec = await outbound.routed_stream(StreamSpec(f"{base_url}/{prefix}/hls/index.m3u8", hls=True))
    assert spec.open_file is not None
    error_ms = await seek_error_ms(engine, spec, seek_ms)
    assert abs(error_ms) <= 20, f"{error_ms:.1f} ms"
