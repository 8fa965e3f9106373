"""A real HTTP server on 127.0.0.1 serving generated media, radio streams, playlists and failures."""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp.plugin import AiohttpServer

from lavalink_py.sources.probe import MediaProbe
from tests.sources import media

TAGS = {"title": "Tone Title", "artist": "Tone Artist"}
ICY = {"icy-name": "Radio X", "icy-description": "Best hits", "icy-url": "http://radio.example"}


@functools.cache
def files() -> dict[str, bytes]:
    return {
        "tagged.mp3": media.encode(media.MP3, metadata=TAGS),
        "untagged.mp3": media.encode(media.MP3),
        "album.mp3": media.encode(media.MP3, metadata={"title": "T", "album_artist": "Album Artist"}),
        "tone.ogg": media.encode(media.OGG_OPUS, metadata=TAGS),
        "tone.flac": media.encode(media.FLAC, metadata=TAGS),
        "tone.wav": media.encode(media.WAV),
        "tone.m4a": media.encode(media.M4A_AAC, metadata=TAGS),
        "tone.webm": media.encode(media.WEBM_OPUS, metadata=TAGS),
        "tone.aac": media.encode(media.ADTS_AAC),
        "chunk.mp3": media.encode(media.MP3, seconds=0.5),
        "segment.ts": media.encode(media.MPEGTS_AAC),
    }


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("media")
    for name, body in files().items():
        (directory / name).write_bytes(body)
    return directory


@dataclass
class MediaServer:
    media_dir: Path
    server: TestServer | None = None
    # How many clients are reading the endless stream right now; `live_idle` is set whenever that drops to 0.
    live_clients: int = 0
    live_idle: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        assert self.server is not None
        return str(self.server.make_url(path))


def _playlists(server: MediaServer) -> dict[str, str]:
    live, untagged = server.url("/live"), server.url("/media/untagged.mp3")
    return {
        "radio.m3u": f"#EXTM3U\n#EXTINF:-1,Playlist Radio\n{live}\n",
        "titled.m3u": f"#EXTM3U\r\n#EXTINF:123,Playlist Title\r\n{untagged}\r\n#EXTINF:1,Other\r\nhttp://x.invalid/\r\n",
        "radio.pls": f"[playlist]\nNumberOfEntries=2\nFile2=http://x.invalid/\nFile1={untagged}\nTitle1=PLS Title\n",
        "plain.txt": f"{untagged}\nhttp://x.invalid/\n",
        "empty.m3u": "#EXTM3U\n#EXTINF:-1,Nothing\nrelative/file.mp3\n",
        "live.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXTINF:2.0,\nseg7.ts\n",
        "vod.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
        "#EXTINF:2.0,\n/media/segment.ts\n#EXTINF:2.0,\n/media/segment.ts\n#EXT-X-ENDLIST\n",
        "master.m3u8": "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=64000\nvod.m3u8\n",
    }


def _app(state: MediaServer) -> web.Application:
    async def media_file(request: web.Request) -> web.FileResponse:
        # FileResponse answers Range requests, as real file servers do; FFmpeg seeks with them (e.g. Ogg duration).
        path = state.media_dir / request.match_info["name"]
        if request.match_info["name"] not in files():
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    async def playlist(request: web.Request) -> web.Response:
        text = _playlists(state).get(request.match_info["name"])
        if text is None:
            raise web.HTTPNotFound()
        return web.Response(text=text, content_type="text/plain")

    async def live(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg", **ICY})
        response.enable_chunked_encoding()
        await response.prepare(request)
        state.live_clients += 1
        state.live_idle.clear()
        try:
            while True:
                await response.write(files()["chunk.mp3"])
        except (ConnectionError, asyncio.CancelledError):
            return response
        finally:
            state.live_clients -= 1
            if state.live_clients == 0:
                state.live_idle.set()

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="nope")

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.match_info["to"].replace("~", "/"))

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><html><body><p>not audio</p></body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/media/{name}", media_file)
    app.router.add_get("/playlists/{name}", playlist)
    app.router.add_get("/live", live)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/redirect/{to:.*}", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/page.html", page)
    return app


@pytest.fixture
async def media_server(aiohttp_server: AiohttpServer, media_dir: Path) -> MediaServer:
    state = MediaServer(media_dir)
    state.server = await aiohttp_server(_app(state))
    return state


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A URL on 127.0.0.1 whose port is bound but not listening: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/stream.mp3"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A URL on 127.0.0.1 whose server accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/stream.mp3"


@pytest.fixture
def probe() -> MediaProbe:
    return MediaProbe(connect_timeout_s=5.0, read_timeout_s=5.0)
