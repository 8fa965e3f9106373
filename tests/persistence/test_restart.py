"""Players survive a restart of the node: a real node process, SIGTERM (or kill -9), a new process in the same
directory; the client reconnects with `Session-Id` and gets its session back, and the listeners of the fake Discord
voice server hear each track go on from where it was.

The media is a linear sweep, so the frequency a listener hears says where in the track it is: every frame the node
sends is 20 ms of track, so the frames heard before the restart say where the track stopped, and the frequency of
the first frames heard after it says where it went on.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt
import pytest

from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.node import PASSWORD, USER_ID, LavalinkSocket

ROOT = Path(__file__).resolve().parents[2]
RATE = 48_000
TRACK_S = 40.0
F0_HZ, SLOPE_HZ_S = 300.0, 60.0  # the sweep's frequency at t seconds: F0 + SLOPE * t
FRAME_S = 0.02
LISTENER = 444
GUILDS = tuple(range(111, 121))  # 10 players, the last one paused
CHECKPOINT_S = 1
TOLERANCE_S = 0.25
READY_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def linear_sweep(seconds: float) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    mono = (0.5 * np.sin(2 * np.pi * (F0_HZ * t + SLOPE_HZ_S / 2 * t * t))).astype(np.float32)
    return np.stack([mono, mono])


def track_time_of(pcm: npt.NDArray[np.float32]) -> float:
    """Where in the sweep a stretch of heard audio is from (its middle), by its zero crossings."""
    crossings = int(np.count_nonzero(np.diff(np.signbit(pcm))))
    frequency = crossings / 2 / (len(pcm) / RATE)
    return (frequency - F0_HZ) / SLOPE_HZ_S


@dataclass
class Heard:
    """How far a listener got: frames of track the node sent (accepted + missed while DAVE was joining)."""

    accepted: int
    sent: int

    @staticmethod
    def of(listener: SimulatedListener) -> Heard:
        return Heard(len(listener.frames), len(listener.frames) + listener.missed_before_join)


def resumed_at(listener: SimulatedListener, before: Heard, skip: int = 5, frames: int = 25) -> tuple[float, float]:
    """(where the track was heard going on, where it had been heard stopping), in track seconds, both read from
    the audio itself with the same estimate (the frames heard before the restart say where it stopped)."""
    missed_after = listener.missed_before_join - (before.sent - before.accepted)
    pcm = listener.pcm()
    per_frame = len(pcm) // len(listener.frames)
    assert per_frame == 960
    last = pcm[(before.accepted - frames) * per_frame : before.accepted * per_frame]
    stopped = track_time_of(last) + frames / 2 * FRAME_S
    start = before.accepted + skip
    window = pcm[start * per_frame : (start + frames) * per_frame]
    heard = track_time_of(window) - (frames / 2 + skip + missed_after) * FRAME_S
    return heard, stopped


def heard_at_least(listener: SimulatedListener, frames: int) -> Callable[[], bool]:
    return lambda: len(listener.frames) >= frames


@dataclass
class Started:
    socket: LavalinkSocket
    session_id: str
    encoded: str


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@dataclass
class NodeDir:
    root: Path
    port: int
    media: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _log_file(self) -> Any:
        return open(self.root / "node.log", "ab")  # the child process writes its log here

    async def start(self, *, own_group: bool = False) -> asyncio.subprocess.Process:
        """`own_group`: the node leads a process group of its own, so a test can signal it with its children, as
        a terminal's Ctrl-C or systemd's stop (KillMode=control-group) do."""
        log = self._log_file()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "lavalink_py",
            "--config",
            str(self.root / "application.yml"),
            "--drain-seconds",
            "0.5",
            cwd=self.root,  # persistence.path is relative: the same directory finds the same store
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            start_new_session=own_group,
        )
        log.close()  # the child has its own copy
        await self._wait_ready(process)
        return process

    async def _wait_ready(self, process: asyncio.subprocess.Process) -> None:
        """Until /v4/ready answers 200: a start (imports, the restore) can take tens of seconds on a busy machine."""
        async with aiohttp.ClientSession() as http, asyncio.timeout(READY_TIMEOUT_S):
            while process.returncode is None:
                with contextlib.suppress(aiohttp.ClientConnectionError):
                    async with http.get(f"{self.base}/v4/ready") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise AssertionError(f"the node exited with {process.returncode} before it was ready")

    def log(self) -> str:
        return (self.root / "node.log").read_text()


@pytest.fixture
def node_dir(tmp_path: Path) -> NodeDir:
    port = free_port()
    (tmp_path / "application.yml").write_text(
        f"server:\n  port: {port}\n  address: 127.0.0.1\n"
        f"lavalink:\n  server:\n    password: {PASSWORD}\n    playerUpdateInterval: {CHECKPOINT_S}\n"
        "    sources:\n      local: true\n"
        "metrics:\n  prometheus:\n    enabled: true\n"
        "persistence:\n  path: kept/sessions.sqlite3\n"
    )
    (tmp_path / "kept").mkdir()
    media = write_audio(tmp_path / "sweep.flac", samples=linear_sweep(TRACK_S), rate=RATE, title="Sweep")
    return NodeDir(tmp_path, port, media)


@contextlib.asynccontextmanager
async def voice_servers() -> AsyncIterator[dict[int, FakeVoiceServer]]:
    async with contextlib.AsyncExitStack() as stack:
        servers = {}
        for guild in GUILDS:
            server = FakeVoiceServer(
                guild_id=guild, channel_id=222, node_user_id=int(USER_ID), listener_ids=(LISTENER,)
            )
            servers[guild] = await stack.enter_async_context(server)
        yield servers


async def connect(http: aiohttp.ClientSession, base: str, session_id: str | None = None) -> tuple[LavalinkSocket, Any]:
    headers = {"Authorization": PASSWORD, "User-Id": USER_ID, "Client-Name": "tests/1.0"}
    if session_id is not None:
        headers["Session-Id"] = session_id
    ws = await http.ws_connect(base.replace("http", "ws") + "/v4/websocket", headers=headers)
    socket = LavalinkSocket(ws)
    socket.start()
    ready = await socket.next(10)
    assert ready["op"] == "ready"
    return socket, ready


async def request(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body, headers={"Authorization": PASSWORD}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def start_players(http: aiohttp.ClientSession, node: NodeDir, servers: dict[int, FakeVoiceServer]) -> Started:
    socket, ready = await connect(http, node.base)
    session_id = ready["sessionId"]
    await request(http, "PATCH", f"{node.base}/v4/sessions/{session_id}", {"resuming": True, "timeout": 60})
    loaded = await request(http, "GET", f"{node.base}/v4/loadtracks?identifier={node.media}")
    encoded = loaded["data"]["encoded"]
    for guild, server in servers.items():
        paused = guild == GUILDS[-1]
        body = {
            "voice": server.voice_state(),
            "track": {"encoded": encoded, "userData": {"guild": guild}},
            "volume": 90,
            "paused": paused,
            "position": 5000 if paused else 0,
            "filters": {"timescale": {"speed": 1.0}},
        }
        await request(http, "PATCH", f"{node.base}/v4/sessions/{session_id}/players/{guild}", body)
    for guild in GUILDS[:-1]:
        listener = servers[guild].listeners[LISTENER]
        await servers[guild].wait_for(heard_at_least(listener, 100), 30)  # 2 s heard
    return Started(socket, session_id, encoded)


async def check_resumed(
    http: aiohttp.ClientSession,
    node: NodeDir,
    servers: dict[int, FakeVoiceServer],
    started: Started,
    before: dict[int, Heard],
    *,
    earliest_s: float,
) -> LavalinkSocket:
    """Reconnect with Session-Id; the session, its players and their audio are back. `earliest_s`: how far behind
    where it stopped a track may go on (0 after a graceful stop; one checkpoint interval after kill -9)."""
    session_id, encoded = started.session_id, started.encoded
    socket, ready = await connect(http, node.base, session_id)
    assert (ready["resumed"], ready["sessionId"]) == (True, session_id)
    updates = [await socket.next_matching(lambda m: m["op"] == "playerUpdate", 10) for _ in GUILDS]
    assert sorted(int(u["guildId"]) for u in updates) == list(GUILDS)
    listed = await request(http, "GET", f"{node.base}/v4/sessions/{session_id}/players")
    players = {int(p["guildId"]): p for p in listed}
    assert sorted(players) == list(GUILDS)
    for guild, player in players.items():
        assert player["track"]["encoded"] == encoded
        assert player["track"]["userData"] == {"guild": guild}
        assert player["volume"] == 90
        assert player["filters"] == {"timescale": {"speed": 1.0, "pitch": 1.0, "rate": 1.0}}
        assert player["voice"]["endpoint"] == servers[guild].endpoint
        assert player["paused"] is (guild == GUILDS[-1])
    assert players[GUILDS[-1]]["state"]["position"] == 5000  # paused stays paused, where it was
    for guild in GUILDS[:-1]:
        server, listener = servers[guild], servers[guild].listeners[LISTENER]
        await server.wait_for(heard_at_least(listener, before[guild].accepted + 60), 30)
        heard, stopped = resumed_at(listener, before[guild])
        assert stopped - earliest_s - TOLERANCE_S <= heard <= stopped + TOLERANCE_S, (guild, heard, stopped)
        assert listener.dave_failures == 0
    return socket


async def metric(http: aiohttp.ClientSession, node: NodeDir, name: str) -> float:
    async with http.get(f"{node.base}/metrics", headers={"Authorization": PASSWORD}) as response:
        text = await response.text()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name))


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_players_go_on_where_they_were_after_sigterm_and_restart(node_dir: NodeDir) -> None:
    process = await node_dir.start()
    try:
        async with voice_servers() as servers, aiohttp.ClientSession() as http:
            started = await start_players(http, node_dir, servers)
            socket = started.socket
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
            async with asyncio.timeout(10):
                while not socket.ws.closed:
                    await asyncio.sleep(0.01)
            assert socket.ws.close_code == aiohttp.WSCloseCode.GOING_AWAY  # Lavalink clients reconnect on it
            before = {guild: Heard.of(server.listeners[LISTENER]) for guild, server in servers.items()}
            events_before = [m for m in socket.seen if m["op"] == "event"]

            process = await node_dir.start()
            resumed = await check_resumed(http, node_dir, servers, started, before, earliest_s=0.0)
            # No event was lost or repeated: the tracks started once, before the restart.
            starts = [m for m in events_before + resumed.seen if m["op"] == "event"]
            assert [m["type"] for m in starts] == ["TrackStartEvent"] * len(GUILDS)
            assert await metric(http, node_dir, 'lavalink_persistence_restored_total{kind="session"}') == 1
            assert await metric(http, node_dir, 'lavalink_persistence_restored_total{kind="player"}') == len(GUILDS)
            assert f"restored 1 sessions and {len(GUILDS)} players" in node_dir.log()
            await resumed.close()
    finally:
        await stop(process)


async def test_players_go_on_after_kill_9_from_the_last_checkpoint(node_dir: NodeDir) -> None:
    process = await node_dir.start()
    try:
        async with voice_servers() as servers, aiohttp.ClientSession() as http:
            started = await start_players(http, node_dir, servers)
            socket = started.socket
            await asyncio.sleep(CHECKPOINT_S * 1.5)
            process.kill()
            await process.wait()
            before = {guild: Heard.of(server.listeners[LISTENER]) for guild, server in servers.items()}
            await socket.close()

            process = await node_dir.start()
            # At most one checkpoint interval lost (plus the write's own time on a busy machine).
            resumed = await check_resumed(http, node_dir, servers, started, before, earliest_s=CHECKPOINT_S + 0.5)
            await resumed.close()
    finally:
        await stop(process)


async def test_an_expired_voice_token_reports_websocket_closed_then_a_new_voice_update_resumes(
    node_dir: NodeDir,
) -> None:
    process = await node_dir.start()
    try:
        async with voice_servers() as servers, aiohttp.ClientSession() as http:
            started = await start_players(http, node_dir, servers)
            socket, session_id = started.socket, started.session_id
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0
            await socket.close()
            guild = GUILDS[0]
            server, listener = servers[guild], servers[guild].listeners[LISTENER]
            server.token = "a-fresh-token"  # Discord no longer takes the kept one
            before = Heard.of(listener)

            process = await node_dir.start()
            resumed, _ = await connect(http, node_dir.base, session_id)
            closed = await resumed.next_matching(
                lambda m: m["op"] == "event" and m["type"] == "WebSocketClosedEvent" and m["guildId"] == str(guild), 30
            )
            assert closed["code"] == 4004
            url = f"{node_dir.base}/v4/sessions/{session_id}/players/{guild}"
            await request(http, "PATCH", url, {"voice": server.voice_state()})
            await server.wait_for(heard_at_least(listener, before.accepted + 60), 30)
            heard, stopped = resumed_at(listener, before)
            assert stopped - TOLERANCE_S <= heard <= stopped + TOLERANCE_S, (heard, stopped)
            await resumed.close()
    finally:
        await stop(process)
