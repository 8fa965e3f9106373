"""Player controls as a listener hears them: volume on an Opus passthrough track, endTime set at any moment, and
every track heard from its first frame while the voice connection (DAVE included) gets ready or reconnects.

Through the API (REST PATCH + the client WebSocket) into the fake Discord voice server; the simulated listener
decrypts and decodes what arrived, and the analysis compares it with the generated source."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from tests.audio.media import RATE_OUT, best_lag, opus_packets, rms, sweep, write_media
from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import serve_directory
from tests.node import USER_ID, LavalinkSocket, RunningNode, connect
from tests.voice.audio import snr_db

GUILD, CHANNEL, LISTENER = 111, 222, 444
FRAME = 960  # samples per 20 ms frame
OPUS_DELAY = 312  # libopus look-ahead: where the source's first sample appears in a decoded stream
MEDIA = {  # file -> (codec, sample rate, seconds); the sweep of tests/audio/media.py
    "sweep.ogg": ("libopus", 48_000, 3.0),
    "sweep.flac": ("flac", 48_000, 3.0),
    "long.flac": ("flac", 48_000, 6.0),
    "long.mp3": ("libmp3lame", 44_100, 6.0),
    "long.ogg": ("libopus", 48_000, 6.0),
    "radio.ogg": ("libopus", 48_000, 9.0),
}


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("controls")
    for name, (codec, rate, seconds) in MEDIA.items():
        write_media(root / name, codec, rate, seconds)
    return root


@contextlib.asynccontextmanager
async def serve_chunked(files: dict[str, bytes]) -> AsyncIterator[str]:
    """Serve files with chunked transfer and no length, as a radio does: the node sees a stream (isStream)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/ogg"})
        await response.prepare(request)
        data = files[request.match_info["name"]]
        for start in range(0, len(data), 4096):
            await response.write(data[start : start + 4096])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/{name}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def tracks(media_dir: Path) -> AsyncIterator[dict[str, str]]:
    """Identifiers: local paths by name, the same files over HTTP as `http-<name>`, and chunked (a stream)
    as `live-<name>`."""
    files = {name: (media_dir / name).read_bytes() for name in MEDIA}
    async with serve_directory(media_dir) as url, serve_chunked(files) as live:
        ids = {name.replace(".", "-"): str(media_dir / name) for name in MEDIA}
        ids |= {f"http-{name.replace('.', '-')}": f"{url}/{name}" for name in MEDIA}
        yield ids | {f"live-{name.replace('.', '-')}": f"{live}/{name}" for name in MEDIA}


@dataclass
class Call:
    """One player whose voice state names the fake voice server, driven with PATCHes."""

    http: aiohttp.ClientSession
    node: RunningNode
    socket: LavalinkSocket
    server: FakeVoiceServer
    url: str

    @property
    def listener(self) -> SimulatedListener:
        return self.server.listeners[LISTENER]

    async def patch(self, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.patch(self.url, json=body, headers=self.node.auth) as response:
            data: dict[str, Any] = await response.json()
            assert response.status == 200, data
            return data

    async def play(self, identifier: str, **extra: Any) -> None:
        params = {"identifier": identifier}
        async with self.http.get(f"{self.node.url}/v4/loadtracks", params=params, headers=self.node.auth) as response:
            encoded = (await response.json())["data"]["encoded"]
        await self.patch({"track": {"encoded": encoded}, **extra})

    def node_sent(self) -> int:
        """Frames the node handed to the voice connection for this player so far.

        The listener decrypts and decodes in Python on the same busy machine, so it can run seconds behind the
        node: positions in the call are taken from the node, and counts are read once the listener caught up.
        """
        [player] = self.node.node.sessions.players()
        return player.frames[0]

    async def frames_reach(self, count: int, timeout_s: float = 60.0) -> None:
        await self.server.wait_for(lambda: len(self.listener.frames) >= count, timeout_s)

    async def ended(self, timeout_s: float = 60.0) -> str:
        event = await self.socket.event("TrackEndEvent", timeout_s)
        reason: str = event["reason"]
        # Every frame the node sent reaches the listener (loopback UDP), however far behind it is.
        sent = self.node_sent()
        await self.frames_reach(sent, 60.0)
        return reason


@contextlib.asynccontextmanager
async def call(node: RunningNode) -> AsyncIterator[Call]:
    async with aiohttp.ClientSession() as http, FakeVoiceServer(
        guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,)
    ) as server:
        socket, ready, _ = await connect(http, node)
        url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        session = Call(http, node, socket, server, url)
        await session.patch({"voice": server.voice_state()})
        try:
            yield session
        finally:
            await socket.close()


def heard(listener: SimulatedListener) -> np.ndarray[Any, np.dtype[np.float64]]:
    return listener.pcm().astype(np.float64)


REFERENCE = sweep(9.0, RATE_OUT)  # the longest file


def content_s(pcm: np.ndarray[Any, np.dtype[np.float64]], frame: int) -> float:
    """Sweep time (s) the listener heard in frame `frame` (counted from the first frame decoded)."""
    start = frame * FRAME + OPUS_DELAY
    segment = pcm[start : start + 5 * FRAME]
    n = 1 << int(np.ceil(np.log2(len(segment) + len(REFERENCE))))
    corr = np.fft.irfft(np.fft.rfft(REFERENCE, n) * np.conj(np.fft.rfft(segment, n)), n)
    return float(np.argmax(corr[: len(REFERENCE)])) / RATE_OUT


def continuity_errors_ms(pcm: np.ndarray[Any, np.dtype[np.float64]], frames: range) -> list[tuple[int, float]]:
    """Frames whose content is not exactly 20 ms per frame after the first one: a gap, a repeat or a jump."""
    base = content_s(pcm, frames.start) - frames.start * 0.020
    out = []
    for index in frames:
        error_ms = (content_s(pcm, index) - index * 0.020 - base) * 1000
        if abs(error_ms) > 1.0:
            out.append((index, round(error_ms, 2)))
    return out


# -- volume on an Opus passthrough track ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sweep-ogg", "http-sweep-ogg"])
async def test_volume_on_a_passthrough_track_transcodes_and_returns(
    node: RunningNode, tracks: dict[str, str], media_dir: Path, kind: str
) -> None:
    own = opus_packets(media_dir / "sweep.ogg")
    own_set = set(own)
    async with call(node) as session:
        await session.play(tracks[kind])
        await session.frames_reach(40)
        # Counts taken before each PATCH: the change applies somewhere between the request and its answer, and on
        # a busy machine ticks can pass between the answer and the next look, so a count read after it may be late.
        before_down = session.node_sent()
        await session.patch({"volume": 50})
        await session.frames_reach(session.node_sent() + 50)
        before_up = session.node_sent()
        await session.patch({"volume": 100})
        assert await session.ended() == "finished"
        frames = [f.opus for f in session.listener.frames]

    mask = "".join("o" if frame in own_set else "t" for frame in frames)  # o: the file's own packet, t: ours
    # The file's own packets at 100, then (once the stream reopened at the position: a few frames, more on a slow
    # open) only transcoded frames while the volume is 50, then the file's own packets again, where the track is.
    assert re.fullmatch(r"o+t+o+", mask), mask
    first_t, last_t = mask.index("t"), mask.rindex("t")
    assert before_down <= first_t < before_up <= last_t + 1
    assert frames[:first_t] == own[:first_t]
    assert frames[last_t + 1 :] == own[last_t + 1 :]
    assert len(frames) == len(own)  # not one frame missing or repeated across both switches

    pcm = heard(session.listener)
    assert not continuity_errors_ms(pcm, range(2, len(frames) - 8))
    # lavaplayer's curve: volume 50 is tan(0.395) = 0.4169, -7.6 dB.
    loud = rms(pcm[10 * FRAME : (first_t - 2) * FRAME])
    quiet = rms(pcm[(first_t + 2) * FRAME : (last_t - 2) * FRAME])
    assert 20 * np.log10(quiet / loud) == pytest.approx(-7.6, abs=0.5)


async def test_volume_on_a_live_opus_stream_is_heard_at_once(
    node: RunningNode, tracks: dict[str, str], media_dir: Path
) -> None:
    """A stream cannot be reopened at a position: the frames already buffered (seconds of them) are re-volumed."""
    own = opus_packets(media_dir / "radio.ogg")
    own_set = set(own)
    async with call(node) as session:
        await session.play(tracks["live-radio-ogg"])
        await session.frames_reach(40)
        before = session.node_sent()  # the change applies after this count (see the passthrough test)
        player = await session.patch({"volume": 50})
        assert player["track"]["info"]["isStream"]
        switched = session.node_sent()
        await session.frames_reach(switched + 60)
        before_back = session.node_sent()
        await session.patch({"volume": 100})
        assert await session.ended() == "finished"
        frames = [f.opus for f in session.listener.frames]
        pcm = heard(session.listener)

    mask = "".join("o" if frame in own_set else "t" for frame in frames)
    # Transcoded from the change on (the buffered frames re-encoded), the file's own packets again once the
    # frames buffered at the return to 100 have played.
    assert re.fullmatch(r"o+t+o+", mask), mask
    first_t, last_t = mask.index("t"), mask.rindex("t")
    # Heard after the 10 frames kept (200 ms) plus the re-encoding job's latency: none measurable on a quiet
    # machine, but a busy one can hold the job in the pool, so the bound here only says "long before the seconds
    # already buffered (frameBufferDurationMs) had played" (BENCHMARKS.md measures the latency).
    assert before <= first_t <= switched + 100
    assert len(frames) == len(own)
    assert not continuity_errors_ms(pcm, range(2, len(frames) - 8))  # no gap, no jump at any junction
    loud = rms(pcm[10 * FRAME : (before - 2) * FRAME])
    quiet = rms(pcm[(first_t + 2) * FRAME : (before_back - 2) * FRAME])
    again = rms(pcm[(last_t + 2) * FRAME : (last_t + 37) * FRAME])
    assert 20 * np.log10(quiet / loud) == pytest.approx(-7.6, abs=0.5)
    assert 20 * np.log10(again / loud) == pytest.approx(0.0, abs=0.5)


# -- endTime ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["long-flac", "http-long-mp3", "http-long-ogg", "live-long-ogg"])
async def test_end_time_set_mid_track_ends_there(node: RunningNode, tracks: dict[str, str], kind: str) -> None:
    async with call(node) as session:
        await session.play(tracks[kind])
        await session.frames_reach(100)  # ~2 s heard
        player = await session.patch({"endTime": 4000})
        assert player["track"]["info"]["position"] < 4000
        assert await session.ended() == "finished"
        frames = len(session.listener.frames)
        pcm = heard(session.listener)
    # The listener heard the track from 0 ms to endTime: 200 frames of 20 ms, the last one ending at 4.0 s.
    assert abs(frames * 20 - 4000) <= 20
    assert content_s(pcm, frames - 6) + 6 * 0.020 == pytest.approx(4.0, abs=0.020)
    assert not continuity_errors_ms(pcm, range(2, frames - 8))  # the track went on where it was


@pytest.mark.parametrize("kind", ["long-flac", "http-long-ogg"])
async def test_end_time_already_passed_ends_at_once(node: RunningNode, tracks: dict[str, str], kind: str) -> None:
    async with call(node) as session:
        await session.play(tracks[kind])
        await session.frames_reach(100)
        await session.patch({"endTime": 1000})
        at_patch = session.node_sent()
        assert await session.ended() == "finished"
        assert len(session.listener.frames) - at_patch <= 2


@pytest.mark.parametrize("kind", ["sweep-flac", "live-sweep-ogg"])
async def test_end_time_extended_and_removed_plays_on(node: RunningNode, tracks: dict[str, str], kind: str) -> None:
    async with call(node) as session:
        await session.play(tracks[kind], endTime=1000)
        await session.frames_reach(20)
        await session.patch({"endTime": 2000})
        await session.frames_reach(60)
        await session.patch({"endTime": None})
        assert await session.ended() == "finished"
        frames = len(session.listener.frames)
        pcm = heard(session.listener)
    assert abs(frames * 20 - 3000) <= 20  # the whole 3 s file
    assert not continuity_errors_ms(pcm, range(2, frames - 8))


# -- the listener hears each track from its first frame ----------------------------------------------------------------


def head_lag(pcm: np.ndarray[Any, np.dtype[np.float64]], seconds: float) -> int:
    """Where the source's sample 0 is in what the listener decoded (negative: the head is missing)."""
    return best_lag(pcm[: int(seconds * RATE_OUT)], sweep(seconds, RATE_OUT))


async def test_dave_listener_hears_the_track_from_its_first_sample(node: RunningNode, tracks: dict[str, str]) -> None:
    async with call(node) as session:
        # The PATCH that names the voice server and the one that plays follow each other at once, so the first
        # frames are ready long before the DAVE group is.
        await session.play(tracks["sweep-flac"])
        assert await session.ended() == "finished"
        listener = session.listener
        frames = len(listener.frames)
        pcm = heard(listener)
    assert listener.missed_before_join == 0
    assert listener.dave_failures == 0
    assert frames == 150
    assert head_lag(pcm, 1.0) == OPUS_DELAY
    assert snr_db(sweep(3.0, RATE_OUT).astype(np.float32), pcm.astype(np.float32)) >= 35.0


@pytest.mark.parametrize("fault", ["reidentify", "new-epoch", "resume"])
async def test_no_audio_lost_across_a_voice_reconnect_or_epoch_change(
    node: RunningNode, tracks: dict[str, str], fault: str
) -> None:
    kind = "long-flac"
    async with call(node) as session:
        await session.play(tracks[kind])
        await session.frames_reach(50)
        server = session.server
        if fault == "reidentify":
            server.refuse_next_resume = True
            await server.drop_websocket()
        elif fault == "resume":
            await server.drop_websocket()
        else:
            await server.force_new_epoch()
        assert await session.ended() == "finished"
        listener = session.listener
        frames = len(listener.frames)
        pcm = heard(listener)
    if fault == "reidentify":
        assert server.identifies == 2
    assert listener.dave_failures == 0
    assert frames == 300  # every frame of the 6 s file reached the listener
    # Content steps by 20 ms a frame everywhere but at the reconnect, where a fresh decoder state can blur a frame.
    errors = continuity_errors_ms(pcm, range(2, frames - 8))
    assert len(errors) <= 2, errors


# -- pause, seek and stop with each packet built a tick ahead (voice/outbox.py) ----------------------------------------


async def test_pause_seek_and_stop_lose_no_frame_and_leave_none_behind(
    node: RunningNode, tracks: dict[str, str]
) -> None:
    """The node's voice connections build each packet when handed its frame and send it at the next tick: the frame
    built before a pause or a stop is heard before it (not lost, not sent after it), and a seek or the next track
    takes over from a frame boundary, every frame handed over heard exactly once."""
    async with call(node) as session:
        await session.play(tracks["long-flac"])
        await session.frames_reach(40)
        await session.patch({"paused": True})
        paused_at = session.node_sent()
        await session.frames_reach(paused_at)
        await session.patch({"paused": False})
        await session.frames_reach(paused_at + 40)
        await session.patch({"position": 4000})
        await session.frames_reach(session.node_sent() + 30)
        await session.patch({"track": {"encoded": None}})  # stop
        assert (await session.socket.event("TrackEndEvent", 60))["reason"] == "stopped"
        stopped_at = session.node_sent()
        await session.frames_reach(stopped_at)
        await session.play(tracks["sweep-flac"])
        assert await session.ended() == "finished"
        listener = session.listener
        frames = len(listener.frames)
        sent = session.node_sent()
        pcm = heard(listener)
    assert frames == sent  # none lost, none sent twice or late
    assert listener.dave_failures == 0
    assert not continuity_errors_ms(pcm, range(2, paused_at + 30))  # the pause cost no frame and repeated none
    assert content_s(pcm, stopped_at - 8) > 4.0  # the seek was heard before the stop
    # The next track from its first frame, right where the stopped one's last frame was.
    assert content_s(pcm, stopped_at) == pytest.approx(0.0, abs=0.020)
    assert not continuity_errors_ms(pcm, range(stopped_at, frames - 8))
