"""HTTP sources and failures: a local aiohttp server plays the CDN; every failure ends in an event."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.audio import AudioEngine, Playback, RecordingSink
from lavalink_py.audio.results import Severity
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media, play_to_end
from tests.audio.media import decode_opus, sweep_snr_db, write_media
from tests.media import make_hls as write_hls

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


def new_playback(engine: AudioEngine) -> tuple[Playback, RecordingSink, Events]:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    return playback, sink, events


def make_hls(root: Path) -> Path:
    """A 3 s sweep as an HLS VOD playlist of 1 s MPEG-TS segments (AAC)."""
    source = write_media(root / "hls-source.flac", "flac", 44_100, 3.0)
    return write_hls(source, root / "hls", rate=44_100)


@pytest.fixture
async def cdn(aiohttp_server: ServerFactory, media: Media) -> AsyncIterator[TestServer]:
    release = asyncio.Event()
    dropped: list[int] = []

    async def drop_once(request: web.Request) -> web.StreamResponse:
        data = media.flac.read_bytes()
        if request.http_range.start is not None or dropped:
            return web.FileResponse(media.flac)
        dropped.append(1)
        response = web.StreamResponse(headers={"Accept-Ranges": "bytes", "Content-Type": "audio/flac"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[: len(data) // 3])
        assert request.transport is not None
        request.transport.abort()  # the connection dies mid-body
        return response

    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/flac"})
        response.content_length = media.flac.stat().st_size
        await response.prepare(request)
        await response.write(media.flac.read_bytes()[:512])
        await release.wait()
        return response

    async def radio(request: web.Request) -> web.StreamResponse:
        # Icecast-style: no length, no ranges, chunks as they "air".
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg", "icy-name": "test"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        data = media.mp3.read_bytes()
        for i in range(0, len(data), 4096):
            await response.write(data[i : i + 4096])
        return response

    app = web.Application()
    app.router.add_get("/radio", radio)
    app.router.add_get("/drop.flac", drop_once)
    app.router.add_get("/stall.flac", stall)
    app.router.add_static("/files", media.root)
    server = await aiohttp_server(app)
    yield server
    release.set()


def url(server: TestServer, path: str) -> str:
    return f"http://127.0.0.1:{server.port}{path}"


async def test_http_mp3_plays(engine: AudioEngine, cdn: TestServer) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(url(cdn, "/files/sweep.mp3")))
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert sweep_snr_db(decode_opus(sink.frames)[:, 0]) >= 25


async def test_http_seek_uses_ranges(engine: AudioEngine, cdn: TestServer) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(url(cdn, "/files/sweep.flac")), start_ms=2000)
    await play_to_end(engine, events)
    assert len(sink.frames) == 50


async def test_icecast_style_live_stream_plays(engine: AudioEngine, cdn: TestServer) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(url(cdn, "/radio"), is_live=True))
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert sweep_snr_db(decode_opus(sink.frames)[:, 0]) >= 25


async def test_hls_playlist_plays(engine: AudioEngine, aiohttp_server: ServerFactory, tmp_path: Path) -> None:
    make_hls(tmp_path)
    app = web.Application()
    app.router.add_static("/live", tmp_path / "hls")
    server = await aiohttp_server(app)
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(url(server, "/live/index.m3u8")))
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert 148 <= len(sink.frames) <= 155
    assert sweep_snr_db(decode_opus(sink.frames)[:, 0]) >= 25


async def test_dropped_connection_resumes(engine: AudioEngine, cdn: TestServer) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(url(cdn, "/drop.flac")))
    await play_to_end(engine, events)
    # FFmpeg's reconnect re-requests the rest with a Range header: the whole sweep arrives, without a hole.
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == 150
    assert sweep_snr_db(decode_opus(sink.frames)[:, 0]) >= 25


async def expect_load_failure(engine: AudioEngine, spec: StreamSpec, severity: Severity) -> tuple[Playback, Events]:
    playback, _, events = new_playback(engine)
    playback.start(spec)
    await play_to_end(engine, events)
    assert events.log[-2:] == [f"exception:{severity.value}", "end:loadFailed"]
    assert events.failures[0].cause
    return playback, events


async def still_plays(engine: AudioEngine, playback: Playback, path: Path) -> None:
    events = Events()
    playback.listener = events
    playback.start(StreamSpec(str(path)), end_ms=400)
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]


async def test_unreachable_host(engine: AudioEngine, media: Media) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening, during the load: refused, and no one else's port
        port = sock.getsockname()[1]
        playback, _ = await expect_load_failure(engine, StreamSpec(f"http://127.0.0.1:{port}/x.mp3"), Severity.COMMON)
    await still_plays(engine, playback, media.flac)


async def test_http_404(engine: AudioEngine, cdn: TestServer, media: Media) -> None:
    playback, events = await expect_load_failure(engine, StreamSpec(url(cdn, "/files/nope.mp3")), Severity.COMMON)
    assert "404" in events.failures[0].cause
    await still_plays(engine, playback, media.flac)


async def test_not_audio(engine: AudioEngine, media: Media, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("this is not audio\n" * 200)
    playback, _ = await expect_load_failure(engine, StreamSpec(str(text)), Severity.COMMON)
    await still_plays(engine, playback, media.flac)


async def test_truncated_file(engine: AudioEngine, media: Media, tmp_path: Path) -> None:
    cut = tmp_path / "cut.flac"
    data = media.flac.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    playback, _ = await expect_load_failure(engine, StreamSpec(str(cut)), Severity.SUSPICIOUS)
    await still_plays(engine, playback, media.flac)


async def test_stalled_source_reports_stuck(engine: AudioEngine, cdn: TestServer) -> None:
    playback, sink, events = new_playback(engine)
    stuck = asyncio.Event()
    events.on_track_stuck = lambda threshold_ms: stuck.set()  # type: ignore[method-assign]
    engine.start()  # real time: stuck is measured in clock ticks
    playback.start(StreamSpec(url(cdn, "/stall.flac")))
    await asyncio.wait_for(stuck.wait(), timeout=5)
    assert sink.frames == []
    playback.stop()
