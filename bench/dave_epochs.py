"""DAVE epoch changes under load (issue 11): N VoiceConnections to N fake Discord voice servers in a child process,
with a member joining and leaving every call at once, and the largest gap of the frame clock across them.

    python -m bench.dave_epochs [--connections 50] [--seconds 20] [--epochs 4] [--pace on|off] [--offload on|off]
        [--budget-ms 8] [--dave 1]
    python -m bench.dave_epochs --serve N [--dave 1]   # only the fakes: one JSON line {ca_pem, ca_file, servers},
        then stdin lines "join"/"leave" (the phantom member, in every call) and "report"

The node side (this process) runs a drift-corrected 20 ms asyncio clock that calls send_frame on every connection
per tick. The fakes (one simulated DAVE listener each, decrypting every packet) run in a child process. After a
one-second warm-up, `--epochs` epoch changes are spread over the run, alternating join and leave, in every call at
once. Reported: the largest gap between two sends of one connection (send_max_gap_ms) and between two arrivals at a
fake; the widest gap between two ticks and this process's CPU inside it, and the most CPU it used between any two
ticks (a gap the node's own work made is at least that long; the rest of a wider gap is waiting for a core); the
MLS lane's calls, deferrals, wall and CPU time, and the calls it ran on its thread. The lane is the node's: every
MLS call on the loop, paced (`--budget-ms` of them per 20 ms window, the node's MlsLane default unless given);
`--offload on` runs ops 27/29/30 on the lane's thread (the node's default from 2026-12-02 to 2026-12-03); `--pace
off` gives the lane no budget and no thread: every MLS call runs on the loop as soon as its message arrives, as the
node did before MlsLane.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import ssl
import statistics
import sys
import time
from typing import Any

from bench.voice import FRAME_S, interval_jitter, percentiles, start_fakes
from lavalink_py.voice.mls_lane import BUDGET_S, MlsLane

PHANTOM = 9_000_000  # the member whose joins and leaves cause the epoch changes


# -- child: the fake servers ---------------------------------------------------------------------------------------
async def serve(count: int, dave: int) -> None:
    servers = await start_fakes(count, dave)
    loop = asyncio.get_running_loop()
    # "join"/"leave": a member joins/leaves every call at once (an epoch change each); "report" ends the run.
    while (command := (await loop.run_in_executor(None, sys.stdin.readline)).strip()) in ("join", "leave"):
        for server in servers:
            await (server.add_listener(PHANTOM) if command == "join" else server.remove_listener(PHANTOM))
    jitter: list[float] = []
    received = failures = 0
    for server in servers:
        jitter.extend(interval_jitter([p.arrival_s for p in server.packets]))
        received += len(server.packets)
        failures += sum(li.dave_failures for li in server.listeners.values())
    gaps = [max((b.arrival_s - a.arrival_s for a, b in itertools.pairwise(s.packets)), default=0.0) for s in servers]
    report = {
        "arrival": percentiles(jitter),
        "received": received,
        "dave_failures": failures,
        "sequence_errors": sum(len(s.sequence_errors()) for s in servers),
        "epoch_changes": sum(len(s.group.executed) - 1 for s in servers),
        "arrival_max_gap_ms": round(max(gaps, default=0.0) * 1000, 3),
    }
    print(json.dumps(report), flush=True)
    for server in servers:
        await server.close()


# -- parent: the node side -----------------------------------------------------------------------------------------
async def run(
    count: int, seconds: float, dave: int, epochs: int = 0, pace: bool = True, *, offload: bool = False,
    budget_s: float = BUDGET_S,
) -> dict[str, Any]:
    from lavalink_py.voice.connection import VoiceConnection
    from tests.voice.audio import encode_opus, sweep

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.dave_epochs", "--serve", str(count), "--dave", str(dave),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    setup = json.loads(await child.stdout.readline())
    context = ssl.create_default_context(cadata=setup["ca_pem"])
    # Unpaced = every MLS call runs as soon as its message arrives, as before the lane (issue 11's "before").
    lane = MlsLane(budget_s=budget_s, threaded=offload) if pace else MlsLane(budget_s=math.inf)
    connections = [
        VoiceConnection(
            guild_id=server["guild_id"], user_id=server["user_id"], channel_id=int(server["channelId"]),
            session_id=server["sessionId"], token=server["token"], endpoint=server["endpoint"],
            on_event=lambda _e: None, ssl_context=context, mls_lane=lane,
        )
        for server in setup["servers"]
    ]
    await asyncio.gather(*(c.wait_e2ee_ready(60) for c in connections))
    frames = encode_opus(sweep(2.0))
    sends: list[list[float]] = [[] for _ in connections]
    busy: list[float] = []
    tick_starts: list[float] = []
    tick_cpu: list[float] = []  # this process's CPU time at each tick: was a long gap our work or a wait for a core?
    loop = asyncio.get_running_loop()
    start = loop.time()
    ticks = int(seconds / FRAME_S)
    # Epoch changes spread over the run after a one-second warm-up, alternating join and leave.
    changes = {int(50 + (ticks - 100) * (i + 0.5) / epochs): i for i in range(epochs)} if epochs else {}
    for tick in range(ticks):
        await asyncio.sleep(max(0.0, start + tick * FRAME_S - loop.time()))
        if tick in changes:
            child.stdin.write(b"join\n" if changes[tick] % 2 == 0 else b"leave\n")
        frame = frames[tick % len(frames)]
        began = time.perf_counter()
        tick_starts.append(began)
        tick_cpu.append(time.process_time())
        for index, connection in enumerate(connections):
            sends[index].append(time.perf_counter())
            connection.send_frame(frame)
        busy.append(time.perf_counter() - began)
    child.stdin.write(b"report\n")
    await child.stdin.drain()
    report = json.loads(await child.stdout.readline())
    for connection in connections:
        await connection.close()
    await child.wait()
    jitter = [j for times in sends for j in interval_jitter(times)]
    max_gap = max((b - a for times in sends for a, b in itertools.pairwise(times)), default=0.0)
    walls = [b - a for a, b in itertools.pairwise(tick_starts)]
    cpus = [b - a for a, b in itertools.pairwise(tick_cpu)]
    widest = max(range(len(walls)), key=walls.__getitem__, default=0)
    sent = sum(c.stats.packets_sent for c in connections)
    return {
        "connections": count,
        "dave": dave,
        "seconds": seconds,
        "packets_sent": sent,
        "withheld": sum(c.stats.frames_withheld for c in connections),
        "send_failures": sum(c.stats.send_failures for c in connections),
        "send_interval_jitter": percentiles(jitter),
        "tick_start_jitter": percentiles(interval_jitter(tick_starts)),
        "send_frame_cost_us": round(statistics.mean(busy) / count * 1e6, 2),
        "tick_busy": percentiles(busy),
        "epochs_requested": epochs,
        "mls_paced": pace,
        "mls_offloaded": lane.threaded,
        "mls_budget_ms": lane.budget_s * 1000 if pace else None,
        "send_max_gap_ms": round(max_gap * 1000, 3),
        # The widest gap between two ticks, and the CPU this process (all its threads) used inside it; the most
        # CPU it used between any two ticks (a gap our own work made is at least that long).
        "tick_max_gap_ms": round(walls[widest] * 1000, 3) if walls else 0.0,
        "tick_max_gap_node_cpu_ms": round(cpus[widest] * 1000, 3) if cpus else 0.0,
        "max_node_cpu_between_ticks_ms": round(max(cpus, default=0.0) * 1000, 3),
        "mls_calls": lane.stats.calls,
        "mls_deferred": lane.stats.deferred,
        "mls_busy_ms": round(lane.stats.busy_s * 1000, 1),
        "mls_cpu_ms": round(lane.stats.cpu_s * 1000, 1),
        "mls_thread_calls": lane.stats.offloaded,
        "mls_thread_ms": round(lane.stats.thread_s * 1000, 1),
        **report,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--dave", type=int, default=1)
    parser.add_argument("--serve", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=4, help="member joins/leaves in every call during the run")
    parser.add_argument("--pace", choices=("on", "off"), default="on", help="off: MLS calls unpaced on the loop")
    parser.add_argument("--offload", choices=("on", "off"), default="off", help="on: ops 27/29/30 on a thread")
    parser.add_argument("--budget-ms", type=float, default=BUDGET_S * 1000, help="MLS work per 20 ms window")
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.dave))
        return
    offload = args.offload == "on"
    result = run(
        args.connections, args.seconds, args.dave, args.epochs, args.pace == "on", offload=offload,
        budget_s=args.budget_ms / 1000,
    )
    print(json.dumps(asyncio.run(result), indent=2))


if __name__ == "__main__":
    main()
