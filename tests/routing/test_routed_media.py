"""The route planner at playback: HLS playlists and segments read by the node from the planner's addresses (VOD
and live), and a playback open answered 429 that is opened again from the next address and plays.

As in test_routed_requests: an IPv4 block inside 127.0.0.0/8 and local servers that see each request's source
address and answer 429 to chosen ones."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from lavalink_py.audio import AudioEngine, EngineSettings
from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.protocol.track_codec import decode_track
from lavalink_py.sources.hls_file import HlsFile
from lavalink_py.sources.routing.outbound import ThreadRoute, build_outbound
from tests.audio.conftest import play_to_end
from tests.audio.test_position import new_playback
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.fakes.lyrics_services import serve
from tests.media import make_hls, write_audio
from tests.node import NodeFactory, RunningNode
from tests.routing.sites import Site
from tests.routing.test_routed_requests import load, ratelimit, status
from tests.test_playback_end_to_end import SECONDS, hear
from tests.voice.audio import snr_db, sweep

BLOCK = "127.0.10.8/29"
PLANNER = {f"127.0.10.{n}" for n in range(8, 16)}


@pytest.fixture(scope="module")
def hls_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s sweep as an HLS VOD playlist of 1 s MPEG-TS segments, and a master playlist naming it."""
    root = tmp_path_factory.mktemp("routed-hls")
    source = write_audio(root / "sweep.flac", 6.0)
    make_hls(source, root / "hls", rate=48_000)
    (root / "hls" / "master.m3u8").write_text(
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=256000,CODECS=\"mp4a.40.2\"\nindex.m3u8\n")
    return root / "hls"


def segment_names(hls_dir: Path) -> list[str]:
    return [line for line in (hls_dir / "index.m3u8").read_text().splitlines() if line.endswith(".ts")]


@dataclass
class HlsSite:
    """Serves `root`'s files; records (peer, path); 429 to peers in `banned` for paths in `banned_paths` (all when
    empty). `live` serves index.m3u8 as a sliding live window that moves one segment per playlist request."""

    root: Path
    banned: set[str] = field(default_factory=set)
    banned_paths: set[str] = field(default_factory=set)
    live: bool = False
    seen: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    _reloads: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername")[0] if request.transport else "?"
        name = request.match_info["name"]
        self.seen.append((peer, name))
        if peer in self.banned and (not self.banned_paths or name in self.banned_paths):
            return web.Response(status=429, text="Too Many Requests")
        if self.live and name == "index.m3u8":
            return web.Response(text=self._window(), content_type="application/vnd.apple.mpegurl")
        path = self.root / name
        if not path.is_file():
            return web.Response(status=404)
        return web.Response(body=path.read_bytes(), content_type="application/octet-stream")

    def _window(self) -> str:
        names = segment_names(self.root)
        first = min(self._reloads, len(names) - 3)
        self._reloads += 1
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:1", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
        for name in names[first : first + 3]:
            lines += ["#EXTINF:1.0,", name]
        return "\n".join(lines) + "\n"

    def peers(self, suffix: str = "") -> set[str]:
        return {peer for peer, name in self.seen if name.endswith(suffix)}


@pytest.fixture
async def hls_site(hls_dir: Path) -> AsyncIterator[HlsSite]:
    fake = HlsSite(hls_dir)
    app = web.Application()
    app.router.add_get("/hls/{name}", fake.handle)
    async with serve(app) as url:
        fake.url = url + "/hls"
        yield fake


@pytest.fixture
async def engine() -> AsyncIterator[AudioEngine]:
    # tests/audio's engine, with room for a live playlist's reload wait before a track counts as stuck.
    eng = AudioEngine(EngineSettings(stuck_threshold_ms=4000))
    yield eng
    for playback in list(eng.playbacks):
        eng.remove_playback(playback)
    await eng.close()


async def play(node: RunningNode, engine: AudioEngine, encoded: str, start_ms: int = 0) -> list[str]:
    """Open the track as a player does (the node's sources, the planner's address) and play it to its end."""
    spec = await node.node.loader.open_stream(decode_track(encoded))
    playback, _, events = new_playback(engine)
    playback.start(spec, start_ms=start_ms)
    await play_to_end(engine, events, max_ticks=600)
    return events.log


class TestHls:
    async def test_vod_playlist_and_every_segment_leave_from_the_planner(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, hls_site: HlsSite, hls_dir: Path,
        engine: AudioEngine,
    ) -> None:
        node = await make_node(ratelimit(blocks=(BLOCK,)))
        result = await load(http, node, hls_site.url + "/master.m3u8")
        assert result["loadType"] == "track" and not result["data"]["info"]["isStream"]
        hls_site.seen.clear()
        log = await play(node, engine, result["data"]["encoded"])
        assert log[-1] == "end:finished", log
        requested = [name for _, name in hls_site.seen]
        assert requested[:2] == ["master.m3u8", "index.m3u8"]
        assert set(segment_names(hls_dir)) <= set(requested)
        assert hls_site.peers() <= PLANNER  # none from the system's 127.0.0.1

    async def test_a_429_on_a_segment_rotates_and_playback_goes_on(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, hls_site: HlsSite, hls_dir: Path,
        engine: AudioEngine,
    ) -> None:
        node = await make_node(ratelimit(blocks=(BLOCK,)))
        result = await load(http, node, hls_site.url + "/index.m3u8")
        second = segment_names(hls_dir)[1]
        hls_site.banned, hls_site.banned_paths = {"127.0.10.8"}, {second}
        hls_site.seen.clear()
        log = await play(node, engine, result["data"]["encoded"])
        assert log[-1] == "end:finished", log
        assert [peer for peer, name in hls_site.seen if name == second] == ["127.0.10.8", "127.0.10.9"]
        assert hls_site.peers() <= PLANNER
        details = (await status(http, node))["details"]
        assert [f["failingAddress"] for f in details["failingAddresses"]] == ["/127.0.10.8"]

    async def test_seek_on_routed_vod_hls(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, hls_site: HlsSite, hls_dir: Path,
        engine: AudioEngine,
    ) -> None:
        node = await make_node(ratelimit(blocks=(BLOCK,)))
        result = await load(http, node, hls_site.url + "/index.m3u8")
        hls_site.seen.clear()
        log = await play(node, engine, result["data"]["encoded"], start_ms=3500)
        assert log[-1] == "end:finished", log
        assert hls_site.peers() <= PLANNER
        # The first open reads the start (where position 0 is); the reopen for the seek starts at the segment
        # holding 3.4 s, a second early (2.4 s: the third), so the two before are not fetched again.
        requested = [name for _, name in hls_site.seen]
        names = segment_names(hls_dir)
        assert requested.count(names[0]) == 1 and requested.count(names[1]) <= 1, requested
        assert all(requested.count(name) >= 1 for name in names[2:]), requested

    async def test_live_playlist_is_reloaded_from_the_planner(self, hls_site: HlsSite, hls_dir: Path) -> None:
        hls_site.live = True
        names = segment_names(hls_dir)
        outbound = build_outbound(RateLimitSettings(ip_blocks=(BLOCK,)))
        route = ThreadRoute(outbound, asyncio.get_running_loop(), "127.0.10.8")
        hls = await asyncio.to_thread(HlsFile, hls_site.url + "/index.m3u8", route)
        expected = b"".join((hls_dir / name).read_bytes() for name in names)  # the window starts at 0 and moves
        try:
            data = await asyncio.wait_for(asyncio.to_thread(functools.partial(_read, hls, len(expected))), 60)
        finally:
            hls.close()
        assert data == expected
        playlist_peers = [peer for peer, name in hls_site.seen if name == "index.m3u8"]
        assert len(playlist_peers) >= 2  # reloaded for the segments after the first window
        assert hls_site.peers() == {"127.0.10.8"}

    async def test_live_hls_plays_on_through_reloads_from_the_planner(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, hls_site: HlsSite, hls_dir: Path,
        engine: AudioEngine,
    ) -> None:
        hls_site.live = True
        node = await make_node(ratelimit(blocks=(BLOCK,)))
        result = await load(http, node, hls_site.url + "/index.m3u8")
        assert result["data"]["info"]["isStream"]
        spec = await node.node.loader.open_stream(decode_track(result["data"]["encoded"]))
        playback, sink, events = new_playback(engine)
        playback.start(spec)
        # The player's first playlist shows segments 1-3 (the load's showed 0-2); 4, 5 and 6 come with later
        # reloads. 3.6 s of audio (and what the demuxer reads ahead) needs segment 4 at least.
        await engine.pump(180)
        assert len(sink.frames) == 180 and events.failures == [], events.log
        names = segment_names(hls_dir)
        requested = [name for _, name in hls_site.seen]
        assert names[4] in requested
        assert requested.count("index.m3u8") >= 3
        assert hls_site.peers() <= PLANNER

    async def test_without_a_planner_ffmpeg_reads_hls(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, hls_site: HlsSite
    ) -> None:
        node = await make_node()
        result = await load(http, node, hls_site.url + "/index.m3u8")
        spec = await node.node.loader.open_stream(decode_track(result["data"]["encoded"]))
        assert spec.open_file is None and spec.hls


def _read(hls: HlsFile, size: int) -> bytes:
    out = bytearray()
    while len(out) < size:
        chunk = hls.read(65536)
        if not chunk:
            break
        out += chunk
    return bytes(out)


class TestPlaybackOpen:
    async def test_a_429_at_the_open_is_retried_from_the_next_address_and_plays(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site, engine: AudioEngine
    ) -> None:
        node = await make_node(ratelimit())
        encoded = (await load(http, node, site.url + "/tone.mp3"))["data"]["encoded"]
        site.banned_media = {"127.0.10.8"}
        site.peers.clear()
        log = await play(node, engine, encoded)
        assert log[-1] == "end:finished", log
        # open_stream's Range check passes from .8; FFmpeg's open from .8 is refused, then .9 serves it.
        assert site.peers[:3] == ["127.0.10.8", "127.0.10.8", "127.0.10.9"]
        details = (await status(http, node))["details"]
        assert [f["failingAddress"] for f in details["failingAddresses"]] == ["/127.0.10.8"]

    async def test_when_the_retries_are_spent_the_track_fails(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site, engine: AudioEngine
    ) -> None:
        node = await make_node(ratelimit(retryLimit=1))
        encoded = (await load(http, node, site.url + "/tone.mp3"))["data"]["encoded"]
        site.banned_media = PLANNER
        site.peers.clear()
        log = await play(node, engine, encoded)
        assert log[-1] == "end:loadFailed", log
        assert site.peers == ["127.0.10.8", "127.0.10.8", "127.0.10.9"]  # Range check, open, one retry


class TestHeard:
    """Routed HLS the whole way: lavalink.py plays it into the fake Discord voice server and the listener hears the
    source, while every request of the stream left from the planner's block."""

    @pytest.fixture
    async def sweep_site(self, tmp_path: Path) -> AsyncIterator[HlsSite]:
        mono = sweep(SECONDS)
        write_audio(tmp_path / "sweep.flac", samples=np.stack([mono, mono]), rate=48000)
        make_hls(tmp_path / "sweep.flac", tmp_path / "hls")
        fake = HlsSite(tmp_path / "hls")
        app = web.Application()
        app.router.add_get("/hls/{name}", fake.handle)
        async with serve(app) as url:
            fake.url = url + "/hls"
            yield fake

    async def test_listener_hears_routed_hls(self, make_node: NodeFactory, sweep_site: HlsSite,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))
        sweep_site.banned, sweep_site.banned_paths = {"127.0.10.8"}, {segment_names(sweep_site.root)[1]}
        node = await make_node(ratelimit(blocks=(BLOCK,)))
        heard = await hear(node, sweep_site.url + "/index.m3u8")
        assert len(heard) >= 0.9 * SECONDS * 48000
        assert snr_db(sweep(SECONDS), heard) >= 25.0
        assert sweep_site.peers() <= PLANNER
        assert set(segment_names(sweep_site.root)) <= {name for _, name in sweep_site.seen}
