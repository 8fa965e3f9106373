"""The real yt-dlp, offline: its generic extractor reads pages a local aiohttp server serves in a site's place."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import av
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, NoMatches, PlaylistLoaded, TrackLoaded
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.ytdlp import (
    ExtractRequest,
    YtdlpRunner,
    build_ytdlp_managers,
    extraction,
    warm_up_ytdlp,
    ytdlp_extract,
)
from lavalink_py.sources.ytdlp.extraction import isrc_soundcloud_extractor
from tests.ytdlp.conftest import FakeClock
from tests.ytdlp.managers import build, ytdlp_manager
from tests.ytdlp.media import aac_hls_tone, opus_webm_tone

NOW = 1_800_000_000.0
LINK_LIFETIME_S = 600


@dataclass
class FakeSite:
    tone: bytes
    page_hits: int = 0
    media_user_agents: list[str] = field(default_factory=list)

    async def watch(self, request: web.Request) -> web.Response:
        video = request.query.get("v", "")
        if video == "missing0000":
            raise web.HTTPNotFound()
        if video == "broken00000":
            raise web.HTTPInternalServerError()
        if video == "nomedia0000":
            return web.Response(text="<html><head><title>Nothing</title></head><body>hi</body></html>",
                                content_type="text/html")
        self.page_hits += 1
        expire = int(NOW) + LINK_LIFETIME_S
        return web.Response(
            text=f'<html><head><title>Local tone</title></head><body>'
                 f'<audio controls src="/media/tone.webm?expire={expire}"></audio></body></html>',
            content_type="text/html",
        )

    async def playlist(self, request: web.Request) -> web.Response:
        return web.Response(
            text="<html><head><title>Two tones</title></head><body>"
                 '<audio controls src="/media/tone.webm?n=1"></audio>'
                 '<audio controls src="/media/tone.webm?n=2"></audio>'
                 "</body></html>",
            content_type="text/html",
        )

    async def media(self, request: web.Request) -> web.Response:
        self.media_user_agents.append(request.headers.get("User-Agent", ""))
        return web.Response(body=self.tone, content_type="audio/webm")


ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def site(aiohttp_server: ServerFactory) -> tuple[FakeSite, str]:
    fake = FakeSite(opus_webm_tone())
    app = web.Application()
    app.router.add_get("/watch", fake.watch)
    app.router.add_get("/media/tone.webm", fake.media)
    app.router.add_get("/playlist", fake.playlist)
    server = await aiohttp_server(app)
    return fake, str(server.make_url("")).rstrip("/")


def _decode_first_frames(spec: StreamSpec) -> tuple[str, int, int]:
    with av.open(spec.url, options=spec.options, timeout=5.0) as container:
        stream = container.streams.audio[0]
        frames = [frame for _, frame in zip(range(5), container.decode(stream), strict=False)]
        return stream.codec_context.name, stream.rate, len(frames)


async def test_youtube_link_resolves_and_plays_through_real_ytdlp(
    executor: ThreadPoolExecutor, site: tuple[FakeSite, str]
) -> None:
    fake, base = site
    clock = FakeClock(NOW)
    managers = build(executor, ytdlp_extract, clock, base_urls={"youtube": base})
    youtube = ytdlp_manager(managers, "youtube")

    result = await youtube.load_item("https://youtu.be/dQw4w9WgXcQ")
    assert isinstance(result, TrackLoaded)
    info = result.track.info
    assert (info.identifier, info.uri, info.source_name) == (
        "dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube")
    assert info.title.startswith("Local tone")
    assert fake.page_hits == 1

    spec = await youtube.open_stream(info)
    assert spec.url.startswith(f"{base}/media/tone.webm?expire=")
    assert spec.expires_in_s == LINK_LIFETIME_S
    assert not spec.is_live
    assert "User-Agent: Mozilla/5.0" in spec.options["headers"]
    assert fake.page_hits == 1  # loading already resolved the media URL

    codec, rate, frames = await asyncio.to_thread(_decode_first_frames, spec)
    assert (codec, rate, frames) == ("opus", 48_000, 5)
    assert fake.media_user_agents and fake.media_user_agents[-1].startswith("Mozilla/5.0")

    clock.now += LINK_LIFETIME_S  # the link has expired: the page is read again
    again = await youtube.open_stream(info)
    assert fake.page_hits == 2
    assert again.url == spec.url


async def test_a_page_of_several_media_loads_as_a_playlist(
    executor: ThreadPoolExecutor, site: tuple[FakeSite, str]
) -> None:
    _, base = site
    youtube = ytdlp_manager(build(executor, ytdlp_extract, FakeClock(NOW), base_urls={"youtube": base}), "youtube")
    result = await youtube.load_item("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI")
    assert isinstance(result, PlaylistLoaded)
    assert result.name.startswith("Two tones")
    assert len(result.tracks) == 2
    assert result.selected_track == -1
    assert {t.info.source_name for t in result.tracks} == {"youtube"}


async def test_a_reused_youtube_dl_forgets_the_previous_request(site: tuple[FakeSite, str]) -> None:
    _, base = site
    url = f"{base}/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI"
    one_thread = ThreadPoolExecutor(max_workers=1)  # the same thread, so the same YoutubeDL, serves both
    runner = YtdlpRunner(one_thread, ytdlp_extract, timeout_s=20.0, socket_timeout_s=5.0)
    try:
        limited = await runner.run(ExtractRequest(url, flat=True, limit=1, playlist=True))
        unlimited = await runner.run(ExtractRequest(url, flat=True, playlist=True))
    finally:
        one_thread.shutdown(wait=True)
    assert (len(limited["entries"]), len(unlimited["entries"])) == (1, 2)


async def test_missing_page_loads_as_empty(executor: ThreadPoolExecutor, site: tuple[FakeSite, str]) -> None:
    _, base = site
    youtube = ytdlp_manager(build(executor, ytdlp_extract, FakeClock(NOW), base_urls={"youtube": base}), "youtube")
    assert await youtube.load_item("https://www.youtube.com/watch?v=missing0000") == NoMatches()


@pytest.mark.parametrize("video", ["broken00000", "nomedia0000"])
async def test_unexpected_answers_are_suspicious(
    executor: ThreadPoolExecutor, site: tuple[FakeSite, str], video: str
) -> None:
    _, base = site
    youtube = ytdlp_manager(build(executor, ytdlp_extract, FakeClock(NOW), base_urls={"youtube": base}), "youtube")
    result = await youtube.load_item(f"https://www.youtube.com/watch?v={video}")
    assert isinstance(result, LoadFailed)
    assert result.error.severity == "suspicious"
    assert result.error.message == "This video cannot be loaded."
    assert result.error.cause


@pytest.fixture
def refused_base() -> Iterator[str]:
    """A port bound but not listening for the whole test: connecting is refused, and no parallel run can take
    the port meanwhile (a port freed again could be listened on by anyone)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{probe.getsockname()[1]}"


async def test_unreachable_site_is_a_fault(executor: ThreadPoolExecutor, refused_base: str) -> None:
    base = refused_base
    youtube = ytdlp_manager(build(executor, ytdlp_extract, FakeClock(NOW), base_urls={"youtube": base}), "youtube")
    result = await youtube.load_item("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert isinstance(result, LoadFailed)
    assert result.error.severity == "fault"
    assert "TransportError" in result.error.cause or "ConnectionRefused" in result.error.cause

    # A track loaded earlier (or by Lavalink) whose media can no longer be resolved.
    decoded = TrackInfo("t", "a", 213_000, "dQw4w9WgXcQ", False, "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                        "youtube")
    with pytest.raises(FriendlyError) as raised:
        await youtube.open_stream(decoded)
    assert raised.value.severity == "fault"


def test_soundcloud_extractor_keeps_the_isrc() -> None:
    from yt_dlp import YoutubeDL

    extractor = isrc_soundcloud_extractor()()
    with YoutubeDL({"quiet": True}) as ydl:
        position = list(ydl._ies).index("Soundcloud")
        ydl.add_info_extractor(extractor)
        assert ydl.get_info_extractor("Soundcloud") is extractor
        assert list(ydl._ies).index("Soundcloud") == position  # still tried before the generic extractor
        extractor._CLIENT_ID = "offline"  # set by its network initialisation, which this test skips
        track = {"id": 1255372384, "title": "Lucid Dream", "duration": 215040, "user": {"username": "Forss"},
                 "permalink_url": "https://soundcloud.com/forss/lucid-dream",
                 "publisher_metadata": {"isrc": "GBKPL1500123", "artist": "Forss"}}
        info = extractor._extract_info_dict(track, extract_flat=True)
    assert (info["id"], info["isrc"], info["duration"]) == ("1255372384", "GBKPL1500123", 215.04)


async def test_a_live_hls_channel_plays_through_real_ytdlp(
    executor: ThreadPoolExecutor, aiohttp_server: ServerFactory, tmp_path: Path
) -> None:
    files = aac_hls_tone(tmp_path)
    segment_user_agents: list[str] = []

    async def channel(request: web.Request) -> web.Response:
        return web.Response(
            text="<html><head><title>Local radio</title></head>"
                 '<body><video src="/hls/index.m3u8"></video></body></html>',
            content_type="text/html")

    async def hls(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name.endswith(".ts"):
            segment_user_agents.append(request.headers.get("User-Agent", ""))
        kind = "application/vnd.apple.mpegurl" if name.endswith(".m3u8") else "video/mp2t"
        return web.Response(body=files[name], content_type=kind)

    app = web.Application()
    app.router.add_get("/LocalRadio", channel)
    app.router.add_get("/hls/{name}", hls)
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    twitch = build(executor, ytdlp_extract, FakeClock(NOW), base_urls={"twitch": base})["twitch"]

    result = await twitch.load_item("https://www.twitch.tv/LocalRadio")
    assert isinstance(result, TrackLoaded)
    info = result.track.info
    assert (info.author, info.is_stream, info.identifier) == ("localradio", True, "https://www.twitch.tv/LocalRadio")

    spec = await twitch.open_stream(info)
    assert spec.is_live
    assert spec.url == f"{base}/hls/index.m3u8"
    assert spec.expires_in_s == 300.0  # an unsigned live manifest
    codec, rate, frames = await asyncio.to_thread(_decode_first_frames, spec)
    assert (codec, rate, frames) == ("aac", 48_000, 5)
    # The headers yt-dlp asked for reach every segment request, not only the playlist's.
    assert segment_user_agents and all(ua.startswith("Mozilla/5.0") for ua in segment_user_agents)


async def test_warm_up_builds_the_worker_threads_youtube_dl_ahead_of_time() -> None:
    one_thread = ThreadPoolExecutor(max_workers=1)
    try:
        managers = build_ytdlp_managers(executor=one_thread, youtube=False, soundcloud=False, bandcamp=False)
        loop = asyncio.get_running_loop()
        assert not await loop.run_in_executor(one_thread, lambda: hasattr(extraction._per_thread, "ydl"))
        await warm_up_ytdlp(managers)
        assert await loop.run_in_executor(one_thread, lambda: hasattr(extraction._per_thread, "ydl"))
    finally:
        one_thread.shutdown(wait=True)
