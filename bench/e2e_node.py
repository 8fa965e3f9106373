"""One end-to-end case in this process: the real node (build_app, served on 127.0.0.1:0), a Lavalink client session
over its REST/WebSocket API, and N players on a local file, with or without the voice path.

With voice, each player's voice state names its own fake Discord voice server (child process, DAVE on, one
listener) and the track is played once DAVE is up. Without voice a player has no sink and would consume nothing,
so a counting sink is attached where the voice sink would be. Either way a thin timing wrapper sits in front of
the sink to record when the frame clock hands each frame over (the node-side send instant).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from aiohttp import web

from bench.e2e_fakes import FakesProcess, percentiles_ms
from lavalink_py.api.keys import NODE
from lavalink_py.app import build_app
from lavalink_py.audio import CountingSink, FrameSink
from lavalink_py.config import settings_from_dict
from lavalink_py.player.player import Player
from lavalink_py.sessions.node import Node
from lavalink_py.voice.connection import VoiceConnection

PASSWORD = "bench"
USER_ID = 333  # FakeVoiceServer's node_user_id
FRAME_S = 0.02
WARMUP_S = 2.0
VOICE_READY_TIMEOUT_S = float(os.environ.get("E2E_VOICE_TIMEOUT", "120"))
FIRST_FRAME_TIMEOUT_S = 60.0


class TimingSink:
    """Records the instant of each frame handed to the wrapped sink (the frame clock's send time)."""

    __slots__ = ("first", "inner", "times")

    def __init__(self, inner: FrameSink) -> None:
        self.inner = inner
        self.times: list[float] = []
        self.first = asyncio.get_running_loop().create_future()

    def send_frame(self, frame: bytes) -> None:
        now = time.monotonic()
        self.times.append(now)
        if not self.first.done():
            self.first.set_result(now)
        self.inner.send_frame(frame)

    @property
    def ready(self) -> bool:
        return self.inner.ready

    def send_silence(self) -> None:
        self.inner.send_silence()


@dataclass
class Client:
    """A raw Lavalink v4 client: one WebSocket session plus REST, counting the events it receives."""

    http: aiohttp.ClientSession
    base: str
    ws: aiohttp.ClientWebSocketResponse | None = None
    session_id: str = ""
    events: dict[str, int] = field(default_factory=dict)
    _reader: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        headers = {"Authorization": PASSWORD, "User-Id": str(USER_ID), "Client-Name": "bench.e2e/1"}
        self.ws = await self.http.ws_connect(self.base.replace("http", "ws") + "/v4/websocket", headers=headers)
        ready = await self.ws.receive_json(timeout=10)
        self.session_id = ready["sessionId"]
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                data = message.json()
                if data.get("op") == "event":
                    self.events[data["type"]] = self.events.get(data["type"], 0) + 1

    async def patch(self, guild_id: int, body: dict[str, Any]) -> None:
        url = f"{self.base}/v4/sessions/{self.session_id}/players/{guild_id}"
        async with self.http.patch(url, json=body, headers={"Authorization": PASSWORD}) as response:
            if response.status != 200:
                raise RuntimeError(f"PATCH {guild_id} -> {response.status}: {await response.text()}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


async def start_node() -> tuple[web.AppRunner, str, Node]:
    config = {"lavalink": {"server": {"password": PASSWORD, "sources": {"local": True}}}}
    app = build_app(settings_from_dict(config).settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}", app[NODE]


def find_player(node: Node, guild_id: int) -> Player:
    return next(p for p in node.sessions.players() if p.guild_id == guild_id)


# The bench reaches into two private fields, read-only except for wrapping the sink: the node has no public way to
# tap a player's frame sink or to wait for its voice connection's DAVE group (see the report's suggested diff).
def wrap_sink(player: Player, fallback: FrameSink) -> TimingSink:
    playback = player.playback
    timing = TimingSink(playback.sink if playback.sink is not None else fallback)
    playback.attach(timing)
    return timing


async def wait_voice(player: Player) -> None:
    link = player.voice_link
    assert isinstance(link, VoiceConnection)
    await link.wait_e2ee_ready(VOICE_READY_TIMEOUT_S)


def voice_counters(players: list[Player]) -> dict[str, int]:
    totals = {"packets_sent": 0, "frames_withheld": 0, "frames_dropped": 0, "send_failures": 0}
    for player in players:
        link = player.voice_link
        if isinstance(link, VoiceConnection):
            for key in totals:
                totals[key] += getattr(link.stats, key)
    return totals


def busy_s() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process)."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def child_cpu_s(pid: int | None) -> float:
    if pid is None:
        return 0.0
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


@dataclass
class Snapshot:
    at: float
    cpu_s: float
    machine_s: float
    fakes_s: float
    ticks: int
    sent: int
    nulled: int
    late_ticks: int

    @classmethod
    def take(cls, node: Node, fakes_pid: int | None) -> Snapshot:
        clock = node.audio.clock
        return cls(
            time.monotonic(), time.process_time(), busy_s(), child_cpu_s(fakes_pid),
            clock.ticks, clock.sent, clock.nulled, clock.late_ticks,
        )


async def make_players(client: Client, node: Node, guilds: list[int], fakes: FakesProcess | None) -> list[Player]:
    """One PATCH per player before any track: its voice state (then wait for DAVE), or a no-op to create it."""
    for index, guild in enumerate(guilds):
        body: dict[str, Any] = {"volume": 100}
        if fakes is not None:
            state = fakes.servers[index]
            body = {"voice": {k: state[k] for k in ("token", "endpoint", "sessionId", "channelId")}}
        await client.patch(guild, body)
    players = [find_player(node, g) for g in guilds]
    if fakes is not None:
        await asyncio.gather(*(wait_voice(p) for p in players))
    return players


async def run_case(source: Path, n: int, seconds: float, voice: bool) -> dict[str, Any]:
    process = psutil.Process()
    fakes = await FakesProcess.start(n) if voice else None
    if fakes is not None:
        # The node's voice connections use ssl.create_default_context(), which reads this each time it is called.
        os.environ["SSL_CERT_FILE"] = fakes.ca_file
    runner, base, node = await start_node()
    rss_before = process.memory_info().rss
    http = aiohttp.ClientSession()
    client = Client(http, base)
    try:
        await client.connect()
        guilds = [s["guild_id"] for s in fakes.servers] if fakes else [1000 + i for i in range(n)]
        setup_started = time.monotonic()
        players = await make_players(client, node, guilds, fakes)
        voice_setup_s = time.monotonic() - setup_started
        sinks = [wrap_sink(p, CountingSink()) for p in players]
        played_at: list[float] = []
        for guild in guilds:
            played_at.append(time.monotonic())
            await client.patch(guild, {"track": {"identifier": str(source)}})
        firsts = await asyncio.wait_for(asyncio.gather(*(s.first for s in sinks)), FIRST_FRAME_TIMEOUT_S)
        await asyncio.sleep(WARMUP_S)
        fakes_pid = fakes.process.pid if fakes else None
        before = Snapshot.take(node, fakes_pid)
        await asyncio.sleep(seconds)
        after = Snapshot.take(node, fakes_pid)
        rss_after = process.memory_info().rss
        arrivals = await fakes.report(before.at, after.at) if fakes else None
        result = summarize(n, before, after, sinks, [f - p for f, p in zip(firsts, played_at, strict=True)])
        result.update(
            rss_mib_per_player=(rss_after - rss_before) / n / 2**20,
            voice_setup_s=voice_setup_s,
            events=dict(client.events),
            clock_lateness_ms=clock_lateness(node, after.ticks - before.ticks),
        )
        if arrivals is not None:
            result["fake"] = fake_summary(arrivals, guilds, played_at, n, after.at - before.at)
            result["voice"] = voice_counters(players)
        return result
    finally:
        await client.close()
        await http.close()
        await runner.cleanup()
        if fakes is not None:
            await fakes.close()


def clock_lateness(node: Node, ticks: int) -> dict[str, float]:
    """How late the frame clock woke for each of the window's last `ticks` ticks (its own record)."""
    recorded = list(node.audio.clock.lateness_us)[-ticks:] if ticks else []
    return percentiles_ms([us / 1e6 for us in recorded])


def summarize(
    n: int, before: Snapshot, after: Snapshot, sinks: list[TimingSink], first_s: list[float]
) -> dict[str, Any]:
    wall = after.at - before.at
    node_s, fakes_s = after.cpu_s - before.cpu_s, after.fakes_s - before.fakes_s
    due = round(wall / FRAME_S) * n
    handed = sum(sum(1 for t in s.times if before.at <= t <= after.at) for s in sinks)
    per_player: list[list[float]] = []
    for sink in sinks:
        inside = [t for t in sink.times if before.at <= t <= after.at]
        per_player.append([abs((b - a) - FRAME_S) for a, b in itertools.pairwise(inside)])
    jitter = [j for js in per_player for j in js]
    # The clock serves players in the order they were made: if the spread grows along the tick, the last
    # tenth jitters more than the first.
    tenth = max(1, n // 10)
    return {
        "players": n,
        "seconds": round(wall, 2),
        "cpu_pct": round(node_s / wall * 100, 1),
        "cpu_pct_per_player": round(node_s / wall * 100 / n, 3),
        "fakes_cpu_pct": round(fakes_s / wall * 100, 1),
        # Everything else on the machine meanwhile (other helpers' work): the contention the figures carry.
        "others_cpu_pct": round(max(0.0, after.machine_s - before.machine_s - node_s - fakes_s) / wall * 100, 1),
        "frames_due": due,
        "frames_sent": handed,
        "missing_pct": round(max(0, due - handed) / due * 100, 3),
        "nulled": after.nulled - before.nulled,
        "late_ticks": after.late_ticks - before.late_ticks,
        "send_jitter_ms": percentiles_ms(jitter),
        "send_jitter_first_tenth_ms": percentiles_ms([j for js in per_player[:tenth] for j in js]),
        "send_jitter_last_tenth_ms": percentiles_ms([j for js in per_player[-tenth:] for j in js]),
        "first_frame_ms": percentiles_ms(first_s),
    }


def fake_summary(
    arrivals: dict[str, Any], guilds: list[int], played_at: list[float], n: int, wall: float
) -> dict[str, Any]:
    expected = round(wall / FRAME_S) * n
    firsts = arrivals.pop("first_arrival_s")
    to_first = [firsts[str(g)] - p for g, p in zip(guilds, played_at, strict=True) if str(g) in firsts]
    arrivals.update(
        expected=expected,
        missing_pct=round(max(0, expected - arrivals["received"]) / expected * 100, 3),
        first_packet_ms=percentiles_ms(to_first),
        servers_without_packets=n - len(to_first),
    )
    return arrivals
