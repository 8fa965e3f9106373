"""Voice send-path benchmark: N VoiceConnections driven by the node's FrameClock, N fake Discord voice servers in a
child process.

    python -m bench.voice [--connections 50,100,200] [--seconds 10] [--dave 1] [--decrypt-every 50]
                          [--clock precise|asyncio] [--send prepared|immediate]
    python -m bench.voice --serve N [--dave 1] [--decrypt-every K]   # only the fakes (JSON lines on stdout)
    python -m bench.voice --transcode [--connections 60,120] [--seconds 15] [--warmup 6] [--quality 10]
                          [--bitrate 128000] [--policy off|on]   # playbacks transcoding MP3/AAC into them

The node side (this process) runs the real FrameClock (`--clock asyncio`: its plain asyncio.sleep schedule, for
comparison) with one tickable per connection that calls send_frame, as a playback does, and the connections send
through the node's PacketOutbox (voice/outbox.py: built at one tick, sent at the start of the next; `--send
immediate`: each packet sent as it is built, the path before it). The fakes run in a child
process, do the WebSocket handshake and DAVE (MLS group, one simulated listener each) in full, and share one UDP
socket (tests/fakes/discord_voice/udp_hub.py: drained with recvmsg_into, demultiplexed by SSRC, kernel arrival
stamps) that checks the RTP sequence of every packet and decrypts (transport AEAD + DAVE) one in `--decrypt-every`
per player, so their CPU stays small beside the node's on a shared machine. Their Hello asks for Discord's
heartbeat interval (41.25 s; `--fake-heartbeat-ms`), so the node heartbeats every 5 s as it would in a call.
With `--fake-poll-ms K` the hub reads its socket every K ms instead of on epoll: a receiver asleep on epoll is woken
from inside every one of the node's sends (loopback runs the receive path on the sender's CPU), 1-4 µs a packet on
this VM (BENCHMARKS.md), which a remote Discord server never costs the node; the voice and jitter tables use 5 ms
and show epoll beside it.
They report after their socket is drained (late is not lost; a packet > 100 ms after its hand-over counts as
late). Reported per N:
- us/packet: CPU of the sending thread (the loop: playback stand-in + DAVE + RTP + AEAD + send) per packet sent;
- send-interval jitter: |interval - 20 ms| between consecutive sends of one connection, stamped at the `sock.send`
  itself (all; first and last tenth of the players, which the order of the tick separates);
- tick-start jitter and lateness of the clock's wake-ups alone;
- arrival-interval jitter at the fakes; packets lost (sent by the node, never received), sequence gaps, players
  with < 0.1 % lost; DAVE failures on the sampled packets;
- CPU of the node process and of the fakes' process over the send window, in % of one core;
- the floor in the same run: thread CPU per packet of davey's encrypt + the AEAD primitive + sock.send alone, on
  the same sockets and sessions (`_floor_us_per_packet`).

`--transcode` (`run_transcode`): the node's own `AudioEngine` (its pools, its frame clock, the overload policy as
`--policy` says) plays a generated 44.1 kHz MP3 into half of the connections and a 44.1 kHz AAC into the other half,
through the player's `VoiceSink`, at opusEncodingQuality `--quality`; players start at once, `--warmup` seconds
pass, then `--seconds` are measured. Lost = frames the players did not have in the window (every cause of
audio/frame_loss.py) + frames sent and never received (over the whole run, warm-up included: the fakes count from
their start), over the frames due in the window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import resource
import ssl
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from lavalink_py.voice.connection import VoiceConnection
    from lavalink_py.voice.outbox import PacketOutbox

FRAME_S = 0.02
DISCORD_HEARTBEAT_MS = 41250.0  # op 8 Hello's heartbeat_interval from Discord's voice servers
FAKES = {"heartbeat_ms": DISCORD_HEARTBEAT_MS, "poll_ms": 0.0}  # what spawn_fakes asks its fakes for (--fake-*)
LATE_S = 0.1  # a packet that arrives later than this after its frame was handed over counts as "late"
SENT = 1


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.asarray(values)
    return {
        "p50_ms": round(float(np.percentile(array, 50)) * 1000, 3),
        "p99_ms": round(float(np.percentile(array, 99)) * 1000, 3),
        "max_ms": round(float(array.max()) * 1000, 3),
    }


def interval_jitter(times: list[float]) -> list[float]:
    return [abs((b - a) - FRAME_S) for a, b in itertools.pairwise(times)]


def offset_jitter(times: list[float], tick_starts: list[float]) -> list[float]:
    """|change of the send's offset from its tick's start| between consecutive sends of one connection: the part of
    the send-interval jitter the tick's own work adds on top of the wake-up's (the tick-start jitter)."""
    starts = np.asarray(tick_starts)
    sends = np.asarray(times)
    index = np.searchsorted(starts, sends, side="right") - 1
    keep = index >= 0
    offsets = sends[keep] - starts[index[keep]]
    return [float(v) for v in np.abs(np.diff(offsets))]


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- child: the fake servers ---------------------------------------------------------------------------------------
async def start_fakes(count: int, dave: int, **options: Any) -> list[Any]:
    """Start `count` fake voice servers (no audio decoding), each with its own UDP socket, and print, as one JSON
    line for the parent, the test CA and each server's voice state."""
    from tests.fakes.discord_voice.server import FakeVoiceServer

    servers = [
        FakeVoiceServer(guild_id=1000 + i, listener_ids=(444,), decode_audio=False, dave_version=dave, **options)
        for i in range(count)
    ]
    for server in servers:
        await server.start()
    _print_setup(servers)
    return servers


def _print_setup(servers: list[Any]) -> None:
    from tests.fakes.discord_voice.pki import voice_pki

    described = [{"guild_id": s.guild_id, "user_id": s.node_user_id, **s.voice_state()} for s in servers]
    pki = voice_pki()
    print(json.dumps({"ca_pem": pki.ca_pem, "ca_file": str(pki.ca_file), "servers": described}), flush=True)


async def start_hub_fakes(
    count: int, dave: int, decrypt_every: int, heartbeat_ms: float = DISCORD_HEARTBEAT_MS, poll_ms: float = 0.0
) -> tuple[Any, list[Any]]:
    """Start `count` fake voice servers (no audio decoding) behind one UDP hub and print, as one JSON line for the
    parent, the test CA and each server's voice state. Their Hello asks for Discord's heartbeat interval (the node
    then heartbeats every 5 s, voice/gateway.py's cap): the fakes' own 1 s default, there for quick tests, had
    1,000 connections heartbeat 1,000 times a second."""
    from tests.fakes.discord_voice.server import FakeVoiceServer
    from tests.fakes.discord_voice.udp_hub import UdpHub

    hub = UdpHub(decrypt_every, poll_ms / 1000)
    hub.start()
    servers = [
        FakeVoiceServer(guild_id=1000 + i, listener_ids=(444,), decode_audio=False, dave_version=dave, udp_hub=hub,
                        heartbeat_interval_ms=heartbeat_ms)
        for i in range(count)
    ]
    for server in servers:
        await server.start()
    _print_setup(servers)
    return hub, servers


async def serve(count: int, dave: int, decrypt_every: int, heartbeat_ms: float, poll_ms: float) -> None:
    hub, servers = await start_hub_fakes(count, dave, decrypt_every, heartbeat_ms, poll_ms)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # "start": the node's clock starts now
    cpu0, wall0 = cpu_s(), time.monotonic()
    await loop.run_in_executor(None, sys.stdin.readline)  # "report"
    cpu, wall = cpu_s() - cpu0, time.monotonic() - wall0
    await hub.wait_drained()  # a backlog still in the socket is late, not lost
    jitter: list[float] = []
    per_server = []
    for server in servers:
        stream = server.hub_stream
        arrivals = stream.arrivals if stream is not None else []
        jitter.extend(interval_jitter(arrivals))
        per_server.append({
            "received": stream.received if stream is not None else 0,
            "sequence_gaps": stream.sequence_gaps if stream is not None else 0,
            "verified": sum(p.verified for p in server.packets),
            "undecryptable": server.udp_rejected.undecryptable,
            "dave_failures": sum(li.dave_failures for li in server.listeners.values()),
            "frames_heard": sum(len(li.frames) for li in server.listeners.values()),
            "arrivals": [round(t, 4) for t in arrivals],
        })
    print(json.dumps({
        "arrival_jitter": percentiles(jitter), "servers": per_server, "cpu_pct": round(100 * cpu / wall, 1),
    }), flush=True)
    for server in servers:
        await server.close()
    hub.close()


# -- parent: the node side -----------------------------------------------------------------------------------------
class _Sender:
    """Stands for a playback: one frame per tick to its connection, with the time of each send."""

    __slots__ = ("_stamp", "frames", "send", "sent", "times")

    def __init__(self, send: Any, frames: list[bytes], times: list[float] | None = None) -> None:
        self.send = send
        self.frames = frames
        self.sent = 0
        # Stamped at the socket (`_StampingSocket`) when given, else here, before the frame is handed over (a worker
        # link: its send happens in another process).
        self.times: list[float] = [] if times is None else times
        self._stamp = times is None

    def tick(self) -> int:
        if self._stamp:
            self.times.append(time.perf_counter())
        self.sent += 1
        self.send(self.frames[self.sent % len(self.frames)])
        return SENT


class _StampingSocket:
    """The connection's UDP socket, stamping each datagram as it goes: the send time a listener's interval starts
    from, wherever in the tick the packet was built (bench only; ~0.2 µs a packet)."""

    __slots__ = ("_send", "times")

    def __init__(self, sock: Any) -> None:
        self._send = sock.send
        self.times: list[float] = []

    def send(self, data: bytes) -> int:
        self.times.append(time.perf_counter())
        sent: int = self._send(data)
        return sent


class _Meter:
    """First and last in the clock's tick: the sending thread's CPU and wall time across the players."""

    __slots__ = ("marks", "system")

    def __init__(self) -> None:
        self.marks: list[tuple[float, float]] = []
        self.system: list[float] = []  # the thread's kernel time: loopback sendto delivers to the fake's socket too

    def mark(self) -> None:
        self.marks.append((time.thread_time(), time.perf_counter()))
        self.system.append(resource.getrusage(resource.RUSAGE_THREAD).ru_stime)

    def tick(self) -> int:
        self.mark()
        return 0


# -- parent: the node side -----------------------------------------------------------------------------------------
class CpuBudget:
    """The fair rig for "2 workers vs 1" on a shared machine: each worker process in its own cgroup (v1 cpu controller,
    or v2 cpu.max) with the same fixed quota, `fraction` of one core, so a configuration's capacity is what its
    workers do with N equal budgets, not what the receivers and other sessions leave them. The shares / weight are
    raised so a worker does get its quota when the machine is contended; the quota caps it at that."""

    V1, V2 = Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup")
    PERIOD_US = 100_000

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction
        self.groups: list[Path] = []
        self.v1 = (self.V1 / "cpu.cfs_quota_us").exists()
        if not self.v1 and "cpu" not in (self.V2 / "cgroup.controllers").read_text().split():
            raise RuntimeError("no writable cgroup cpu controller here")

    def apply(self, pids: list[int]) -> None:
        quota = int(self.fraction * self.PERIOD_US)
        for index, pid in enumerate(pids):
            group = (self.V1 if self.v1 else self.V2) / f"lavalink-bench-{os.getpid()}-worker-{index}"
            group.mkdir(exist_ok=True)
            if self.v1:
                (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
                (group / "cpu.shares").write_text("8192")
            else:
                (group / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
                (group / "cpu.weight").write_text("800")
            (group / "cgroup.procs").write_text(str(pid))
            self.groups.append(group)

    def throttled_s(self) -> float:
        """Time the workers were held back by their quota (the budget was the limit, not the work)."""
        total = 0.0
        for group in self.groups:
            stat = dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())
            total += int(stat["throttled_time"]) / 1e9 if self.v1 else int(stat.get("throttled_usec", 0)) / 1e6
        return round(total, 2)

    def release(self) -> None:
        root = self.V1 if self.v1 else self.V2
        for group in self.groups:
            for pid in (group / "cgroup.procs").read_text().split():
                with contextlib.suppress(OSError):
                    (root / "cgroup.procs").write_text(pid)
            with contextlib.suppress(OSError):
                group.rmdir()
        self.groups.clear()


async def spawn_fakes(count: int, dave: int, decrypt_every: int) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """The fakes' child process and the set-up line it prints (test CA, each server's voice state)."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.voice", "--serve", str(count), "--dave", str(dave),
        "--decrypt-every", str(decrypt_every), "--fake-heartbeat-ms", f"{FAKES['heartbeat_ms']:g}",
        "--fake-poll-ms", f"{FAKES['poll_ms']:g}",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        limit=1 << 24,  # the set-up line of 500+ fakes is longer than the default 64 KiB
    )
    assert child.stdout is not None and child.stdin is not None
    return child, json.loads(await child.stdout.readline())


async def tell(child: asyncio.subprocess.Process, line: bytes) -> None:
    assert child.stdin is not None
    child.stdin.write(line)
    await child.stdin.drain()


async def fakes_report(child: asyncio.subprocess.Process) -> dict[str, Any]:
    """Ask the fakes for what they received and return it (the child then exits)."""
    await tell(child, b"report\n")
    assert child.stdout is not None
    report: dict[str, Any] = json.loads(await child.stdout.readline())
    return report


def late_counts(handed: list[list[float]], arrivals: list[list[float]]) -> list[int]:
    """Per player, the packets that arrived more than LATE_S after the player handed their frame over (the k-th
    packet received is the k-th frame handed over: the sequence has no gaps, and nothing is sent before the
    window). A voice packet that late is as good as lost to a listener's jitter buffer."""
    return [
        sum(1 for given, got in zip(times, got_at, strict=False) if got - given > LATE_S)
        for times, got_at in zip(handed, arrivals, strict=True)
    ]


def loss_figures(
    sent: list[int], lost: list[int], report: dict[str, Any], late: list[int] | None = None
) -> dict[str, Any]:
    """Per-player loss (sent by the node, never received), lateness (None: not measured, counted 0), and what the
    fakes checked on the packets."""
    servers = report["servers"]
    late = late if late is not None else [0] * len(sent)
    bad = [lo + la for lo, la in zip(lost, late, strict=True)]
    return {
        "lost_pct": round(100 * sum(lost) / max(1, sum(sent)), 3),
        "late_pct": round(100 * sum(late) / max(1, sum(sent)), 3),
        "lost_or_late_pct": round(100 * sum(bad) / max(1, sum(sent)), 3),
        "players_under_0.1pct_lost": sum(1 for s, lo in zip(sent, lost, strict=True) if s and lo / s < 0.001),
        "players_under_0.1pct_lost_or_late": sum(1 for s, b in zip(sent, bad, strict=True) if s and b / s < 0.001),
        "sequence_gaps": sum(s["sequence_gaps"] for s in servers),
        "sampled_decrypted": sum(s["verified"] for s in servers),
        "dave_failures": sum(s["dave_failures"] for s in servers),
        "undecryptable": sum(s["undecryptable"] for s in servers),
    }


def _floor_us_per_packet(connections: list[Any], frames: list[bytes], ticks: int = 100) -> float:
    """The floor in the same run, on the same sockets and DAVE sessions: per packet only davey's encrypt, the AEAD
    primitive and `sock.send`, nothing else, in tight loops shaped like ticks (thread CPU per packet). Its packets
    carry SSRC 0, which the fakes drop after the header check, so they touch no counter of the measured window.
    Reaches into the connection's parts (bench only): the point is to call nothing of ours around them."""
    # (Before this branch the sender held the cipher object and the connection sent through the transport, whose
    # socket is then used.)
    parts = [
        (
            c.dave.session,
            getattr(c._sender, "_seal", None) or c._sender._cipher._seal,
            getattr(c._udp, "sock", None) or c._udp.transport._sock,
        )
        for c in connections
    ]
    header = b"\x80\x78" + bytes(10)  # RTP v2, Opus, SSRC 0
    nonce = bytes(12)
    began = time.thread_time()
    for tick in range(ticks):
        frame = frames[tick % len(frames)]
        for session, seal, sock in parts:
            packet = header + seal(nonce, session.encrypt_opus(frame), header) + nonce[:4]
            with contextlib.suppress(OSError):
                sock.send(packet)
    return round((time.thread_time() - began) / max(1, ticks * len(parts)) * 1e6, 2)


async def connect_all(
    setup: dict[str, Any], prepared: bool
) -> tuple[list[VoiceConnection], PacketOutbox | None, float]:
    """One VoiceConnection per fake server, up to e2ee-ready, and the seconds that took; with `prepared`, they share
    one PacketOutbox (the node's send path), else each sends at once."""
    from lavalink_py.voice.connection import VoiceConnection
    from lavalink_py.voice.outbox import PacketOutbox

    context = ssl.create_default_context(cadata=setup["ca_pem"])
    outbox = PacketOutbox() if prepared else None
    connections = [
        VoiceConnection(
            guild_id=server["guild_id"], user_id=server["user_id"], channel_id=int(server["channelId"]),
            session_id=server["sessionId"], token=server["token"], endpoint=server["endpoint"],
            on_event=lambda _e: None, ssl_context=context, outbox=outbox,
        )
        for server in setup["servers"]
    ]  # fmt: skip
    began = time.monotonic()
    # On a crowded machine some handshakes time out: the run goes on with the connections that are up, and says so.
    await asyncio.gather(*(c.wait_e2ee_ready(180) for c in connections), return_exceptions=True)
    return connections, outbox, time.monotonic() - began


async def run(
    count: int, seconds: float, dave: int, decrypt_every: int, precise: bool, *, prepared: bool = True
) -> dict[str, Any]:
    from lavalink_py.audio.clock import FrameClock
    from tests.voice.audio import encode_opus, sweep

    child, setup = await spawn_fakes(count, dave, decrypt_every)
    connections, outbox, setup_s = await connect_all(setup, prepared)
    await asyncio.sleep(1.0)  # let the handshakes' last messages settle before the window opens
    frames = encode_opus(sweep(2.0))
    ready = [c for c in connections if c.e2ee_ready]
    floor_us = _floor_us_per_packet(ready, frames)
    senders = []
    for c in ready:
        assert c._udp is not None
        c._udp.sock = stamping = _StampingSocket(c._udp.sock)  # type: ignore[assignment]
        senders.append(_Sender(c.send_frame, frames, stamping.times))
    before, after = _Meter(), _Meter()
    clock = FrameClock()
    clock.precise = precise
    clock.add_flush(before.mark)  # the tick's start, ahead of the outbox's sends (measured with the tick)
    if outbox is not None:
        clock.add_flush(outbox.flush)  # first in the tick, as the node's DiscordVoice registers it
    for sender in senders:
        clock.add(sender)
    clock.add(after)
    sent0 = [c.stats.packets_sent for c in connections]
    await tell(child, b"start\n")
    node_cpu0, wall0 = time.process_time(), time.monotonic()
    clock.start()
    await asyncio.sleep(seconds)
    await clock.stop()
    node_cpu, wall = time.process_time() - node_cpu0, time.monotonic() - wall0
    await asyncio.sleep(0.5)  # the last packets reach the fakes
    report = await fakes_report(child)
    for connection in connections:
        await connection.close()
    await child.wait()

    sent = [c.stats.packets_sent - s0 for c, s0 in zip(connections, sent0, strict=True)]
    received = [s["received"] for s in report["servers"]]
    times_of = {id(c): s.times for c, s in zip(ready, senders, strict=True)}
    late = late_counts([times_of.get(id(c), []) for c in connections], [s["arrivals"] for s in report["servers"]])
    lost = [max(0, s - r) for s, r in zip(sent, received, strict=True)]
    ticks = min(len(before.marks), len(after.marks))
    tick_cpu = [after.marks[i][0] - before.marks[i][0] for i in range(ticks)]
    tick_wall = [after.marks[i][1] - before.marks[i][1] for i in range(ticks)]
    tenth = max(1, len(senders) // 10)
    jitter = [interval_jitter(s.times) for s in senders]
    tick_starts = [m[1] for m in before.marks]
    added = [offset_jitter(s.times, tick_starts) for s in senders]
    return {
        "connections": count,
        "clock": "precise" if precise else "asyncio",
        "send": "prepared" if prepared else "immediate",
        "dave": dave,
        "seconds": seconds,
        "ready": len(ready),
        "setup_s": round(setup_s, 1),
        "packets_sent": sum(sent),
        "us_per_packet_cpu": round(sum(tick_cpu) / max(1, sum(sent)) * 1e6, 2),
        "floor_us_per_packet_cpu": floor_us,
        "us_per_packet_wall": round(sum(tick_wall) / max(1, sum(sent)) * 1e6, 2),
        "us_per_packet_kernel": round(
            sum(after.system[i] - before.system[i] for i in range(ticks)) / max(1, sum(sent)) * 1e6, 2
        ),
        **loss_figures(sent, lost, report, late),
        "withheld": sum(c.stats.frames_withheld for c in connections),
        "send_failures": sum(c.stats.send_failures for c in connections),
        "send_interval_jitter": percentiles([j for js in jitter for j in js]),
        "send_jitter_first_tenth": percentiles([j for js in jitter[:tenth] for j in js]),
        "send_jitter_last_tenth": percentiles([j for js in jitter[-tenth:] for j in js]),
        "tick_start_jitter": percentiles(interval_jitter(tick_starts)),
        "send_offset_jitter": percentiles([j for js in added for j in js]),
        "send_offset_jitter_last_tenth": percentiles([j for js in added[-tenth:] for j in js]),
        "tick_lateness_p50_us": clock.lateness_percentile_us(0.5),
        "tick_lateness_p99_us": clock.lateness_percentile_us(0.99),
        "late_ticks": clock.late_ticks,
        "tick_busy": percentiles(tick_wall),
        "arrival_jitter": report["arrival_jitter"],
        "node_cpu_pct": round(100 * node_cpu / wall, 1),
        "fakes_cpu_pct": report["cpu_pct"],
    }


async def run_workers(
    count: int, seconds: float, dave: int, decrypt_every: int, workers: int, *, budget: float = 0.0
) -> dict[str, Any]:
    """The same run with the connections in `workers` voice worker processes (lavalink_py/voice/workers.py)."""
    from lavalink_py.audio.clock import FrameClock
    from lavalink_py.voice.workers import VoiceCredentialsSpec, VoiceWorkerPool
    from tests.voice.audio import encode_opus, sweep

    child, setup = await spawn_fakes(count, dave, decrypt_every)
    os.environ["SSL_CERT_FILE"] = setup["ca_file"]  # the workers trust the fakes' CA
    pool = VoiceWorkerPool(workers)
    links = [
        pool.link(VoiceCredentialsSpec(server["guild_id"], server["user_id"], int(server["channelId"]),
                                       server["sessionId"], server["token"], server["endpoint"]), lambda _e: None)
        for server in setup["servers"]
    ]
    setup_s = time.monotonic()
    for start in range(0, len(links), 50):  # ramped: a handshake storm of hundreds times out on a busy machine
        batch = links[start : start + 50]
        for link in batch:
            link.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(120):
                while not all(link.ready_to_send for link in batch):  # noqa: ASYNC110 - mirrored state, no event
                    await asyncio.sleep(0.05)
    setup_s = time.monotonic() - setup_s
    await asyncio.sleep(1.5)
    frames = encode_opus(sweep(2.0))
    ready = [link for link in links if link.ready_to_send]
    senders = [_Sender(link.send_frame, frames) for link in ready]
    clock = FrameClock()
    for sender in senders:
        clock.add(sender)
    not_sent0 = [link.frames_not_sent for link in ready]
    rig = CpuBudget(budget) if budget else None
    if rig is not None:  # after the handshakes: the budget is for the send window
        rig.apply([w.process.pid for w in pool.workers()])
    worker_cpu0 = sum(w.stats.cpu_s for w in pool.workers())
    each_cpu0 = {w.index: w.stats.cpu_s for w in pool.workers()}
    send_cpu0 = sum(w.stats.send_cpu_s for w in pool.workers())
    status_cpu0 = sum(w.stats.status_cpu_s for w in pool.workers())
    packets0 = sum(w.stats.packets_sent for w in pool.workers())
    batches0 = sum(w.batches_sent for w in pool.workers())
    await tell(child, b"start\n")
    node_cpu0, wall0 = time.process_time(), time.monotonic()
    clock.start()
    await asyncio.sleep(seconds)
    await clock.stop()
    node_cpu, wall = time.process_time() - node_cpu0, time.monotonic() - wall0
    await asyncio.sleep(1.5)  # the last batches are sent, the last status and metrics arrive
    worker_cpu = sum(w.stats.cpu_s for w in pool.workers()) - worker_cpu0
    send_cpu = sum(w.stats.send_cpu_s for w in pool.workers()) - send_cpu0
    status_cpu = sum(w.stats.status_cpu_s for w in pool.workers()) - status_cpu0
    worker_packets = sum(w.stats.packets_sent for w in pool.workers()) - packets0
    each_cpu = [round(100 * (w.stats.cpu_s - each_cpu0.get(w.index, 0.0)) / wall, 1) for w in pool.workers()]
    batches = sum(w.batches_sent for w in pool.workers()) - batches0
    throttled = rig.throttled_s() if rig is not None else 0.0
    if rig is not None:
        rig.release()
    report = await fakes_report(child)
    by_guild = {server["guild_id"]: i for i, server in enumerate(setup["servers"])}
    sent = [len(s.times) - (link.frames_not_sent - n0) for s, link, n0 in zip(senders, ready, not_sent0, strict=True)]
    received = [report["servers"][by_guild[link.spec.guild_id]]["received"] for link in ready]
    late = late_counts([s.times for s in senders], [report["servers"][by_guild[link.spec.guild_id]]["arrivals"]
                                                    for link in ready])
    await pool.close()
    await child.wait()
    lost = [max(0, s - r) for s, r in zip(sent, received, strict=True)]
    jitter = [interval_jitter(s.times) for s in senders]
    return {
        "connections": count,
        "workers": workers,
        "worker_cpu_budget": budget,
        "workers_throttled_s": throttled,
        "dave": dave,
        "seconds": seconds,
        "ready": len(ready),
        "setup_s": round(setup_s, 1),
        "packets_sent": sum(sent),
        "ipc_batches": batches,
        **loss_figures(sent, lost, report, late),
        "send_interval_jitter": percentiles([j for js in jitter for j in js]),
        "arrival_jitter": report["arrival_jitter"],
        "node_cpu_pct": round(100 * node_cpu / wall, 1),
        "workers_cpu_pct": round(100 * worker_cpu / wall, 1),
        "each_worker_cpu_pct": each_cpu,
        # thread CPU inside the workers' batch handler (parse + DAVE + RTP + AEAD + send) per packet they sent, and
        # the workers' whole process CPU per packet (their loop, status pushes, reading the batches too)
        "worker_us_per_packet_cpu": round(send_cpu / max(1, worker_packets) * 1e6, 2),
        "worker_process_us_per_packet_cpu": round(worker_cpu / max(1, worker_packets) * 1e6, 2),
        "worker_status_us_per_packet_cpu": round(status_cpu / max(1, worker_packets) * 1e6, 2),
        "fakes_cpu_pct": report["cpu_pct"],
    }


async def run_transcode(
    count: int,
    seconds: float,
    dave: int,
    decrypt_every: int,
    *,
    warmup: float,
    quality: int,
    policy: bool,
    bitrate: int = 128_000,
    prepared: bool = True,
) -> dict[str, Any]:
    """Transcoding players into real voice connections (module docstring)."""
    import tempfile
    from pathlib import Path

    from bench.audio import write_sweep
    from lavalink_py.audio import AudioEngine, EngineSettings, OverloadSettings
    from lavalink_py.player.services import VoiceSink
    from lavalink_py.sources.base import StreamSpec

    child, setup = await spawn_fakes(count, dave, decrypt_every)
    connections, outbox, setup_s = await connect_all(setup, prepared)
    ready = [c for c in connections if c.e2ee_ready]
    settings = EngineSettings(opus_quality=quality, opus_bitrate=bitrate, overload=OverloadSettings(enabled=policy))
    engine = AudioEngine(settings)
    if outbox is not None:
        engine.clock.add_flush(outbox.flush)  # as the node's DiscordVoice(clock) does
    stamps = []
    for c in ready:
        assert c._udp is not None
        c._udp.sock = stamping = _StampingSocket(c._udp.sock)  # type: ignore[assignment]
        stamps.append(stamping.times)
    engine.start()
    with tempfile.TemporaryDirectory() as tmp:
        length = warmup + seconds + 15
        sources = [
            write_sweep(Path(tmp) / "sweep.mp3", "libmp3lame", 44_100, length),
            write_sweep(Path(tmp) / "sweep.m4a", "aac", 44_100, length),
        ]
        playbacks = []
        for i, connection in enumerate(ready):
            playback = engine.create_playback()
            playback.attach(VoiceSink(connection))
            playback.start(StreamSpec(str(sources[i % len(sources)])))
            playbacks.append(playback)
        await asyncio.sleep(warmup)

        def lost_by_players() -> list[int]:
            return [sum(p.loss.counts.as_dict().values()) for p in playbacks]

        sent0, missed0 = [c.stats.packets_sent for c in ready], lost_by_players()
        causes0 = engine.loss.totals.as_dict()
        await tell(child, b"start\n")
        node_cpu0, wall0, window0 = time.process_time(), time.monotonic(), time.perf_counter()
        await asyncio.sleep(seconds)
        node_cpu, wall, window1 = time.process_time() - node_cpu0, time.monotonic() - wall0, time.perf_counter()
        sent = [c.stats.packets_sent - s0 for c, s0 in zip(ready, sent0, strict=True)]
        missed = [m - m0 for m, m0 in zip(lost_by_players(), missed0, strict=True)]
        by_cause = {k: v - causes0[k] for k, v in engine.loss.totals.as_dict().items() if v - causes0[k]}
        complexity, steps_down = engine.overload.dial.level.describe(), engine.overload.policy.steps_down
        await engine.clock.stop()  # no frame after the window; then the players' ends (their silence frames)
        for playback in playbacks:
            engine.remove_playback(playback)
        await asyncio.sleep(1.0)  # the silence frames go out and the last packets reach the fakes
        sent_all = [c.stats.packets_sent for c in ready]
        report = await fakes_report(child)
        await engine.close()
    for connection in connections:
        await connection.close()
    await child.wait()
    by_guild = {server["guild_id"]: i for i, server in enumerate(setup["servers"])}
    received = [report["servers"][by_guild[c.guild_id]]["received"] for c in ready]
    not_received = [max(0, s - r) for s, r in zip(sent_all, received, strict=True)]
    due = [s + m for s, m in zip(sent, missed, strict=True)]
    lost = [m + n for m, n in zip(missed, not_received, strict=True)]
    figures = loss_figures(due, lost, report)
    # Send-interval jitter in the window, stamped at sock.send; a frame a player missed (loss, above) shows as 20 ms.
    jitter = [j for times in stamps for j in interval_jitter([t for t in times if window0 <= t <= window1])]
    return {
        "connections": count,
        "transcode": True,
        "send": "prepared" if prepared else "immediate",
        "send_interval_jitter": percentiles(jitter),
        "quality": quality,
        "bitrate": bitrate,
        "policy": policy,
        "dave": dave,
        "seconds": seconds,
        "ready": len(ready),
        "setup_s": round(setup_s, 1),
        "frames_due": sum(due),
        **figures,
        "not_made": sum(missed),
        "not_received": sum(not_received),
        "lost_by_cause": by_cause,
        "encoder_at_end": complexity,
        "steps_down": steps_down,
        "node_cpu_pct": round(100 * node_cpu / wall, 1),
        "fakes_cpu_pct": report["cpu_pct"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", default="50", help="comma-separated counts, one run each")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--dave", type=int, default=1)
    parser.add_argument("--decrypt-every", type=int, default=50)
    parser.add_argument("--clock", choices=("precise", "asyncio"), default="precise")
    parser.add_argument("--send", choices=("prepared", "immediate"), default="prepared",
                        help="prepared: built at one tick, sent at the next (the node's outbox); immediate: at once")
    parser.add_argument("--serve", type=int, default=0)
    parser.add_argument("--fake-heartbeat-ms", type=float, default=DISCORD_HEARTBEAT_MS,
                        help="the heartbeat interval the fakes' Hello asks for (Discord's by default)")
    parser.add_argument("--fake-poll-ms", type=float, default=0.0,
                        help="the fakes read their UDP socket every this many ms, not on epoll (udp_hub.py: no "
                             "receiver's wake-up charged to the node's sends); 0: on epoll")
    parser.add_argument("--workers", default="0", help="comma-separated worker counts (0: in-process), each run")
    parser.add_argument("--worker-cpu-budget", type=float, default=0.0,
                        help="the fair rig: each worker capped at this fraction of a core (cgroup quota), e.g. 0.3")
    parser.add_argument("--transcode", action="store_true", help="players transcoding MP3/AAC (module docstring)")
    parser.add_argument("--warmup", type=float, default=6.0, help="--transcode: seconds before the window opens")
    parser.add_argument("--quality", type=int, default=10, help="--transcode: opusEncodingQuality")
    parser.add_argument("--policy", choices=("off", "on"), default="off", help="--transcode: the overload policy")
    parser.add_argument("--bitrate", type=int, default=128_000, help="--transcode: the Opus bitrate")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.dave, args.decrypt_every, args.fake_heartbeat_ms, args.fake_poll_ms))
        return
    FAKES["heartbeat_ms"] = args.fake_heartbeat_ms
    FAKES["poll_ms"] = args.fake_poll_ms
    with open("/proc/loadavg") as f:
        print(json.dumps({"loadavg_before": f.read().strip()}), flush=True)
    for count in (int(c) for c in args.connections.split(",")):
        for workers in (int(w) for w in args.workers.split(",")):
            if args.transcode:
                result = asyncio.run(run_transcode(
                    count, args.seconds, args.dave, args.decrypt_every, warmup=args.warmup, quality=args.quality,
                    policy=args.policy == "on", bitrate=args.bitrate, prepared=args.send == "prepared",
                ))  # fmt: skip
            elif workers:
                result = asyncio.run(run_workers(
                    count, args.seconds, args.dave, args.decrypt_every, workers, budget=args.worker_cpu_budget
                ))
            else:
                result = asyncio.run(run(count, args.seconds, args.dave, args.decrypt_every, args.clock == "precise",
                                         prepared=args.send == "prepared"))
            with open("/proc/loadavg") as f:
                result["loadavg_after"] = f.read().strip()
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
