"""The end-to-end bench's fake Discord voice servers, run in a child process so their TLS, AEAD and DAVE work is
not counted as the node's.

    python -m bench.e2e_fakes N
        prints one JSON line {ca_file, servers: [{guild_id, user_id, token, endpoint, sessionId, channelId}]}, then
        answers stdin lines:  `report T0 T1` -> one JSON line about the packets that arrived in [T0, T1]
        (time.monotonic(), which is CLOCK_MONOTONIC and so shared with the parent);  `trim` -> one JSON line
        {received, dave_failures, identifies} since the last trim, and forgets the packets and frames kept so far
        (a long run, bench/soak.py, would otherwise grow this process without bound);  `quit` -> exits.

Each server has DAVE on and one simulated listener that DAVE-decrypts every frame (Opus decoding off: the count
is what matters here, and decoding would only load the shared CPU).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from tests.fakes.discord_voice.server import FakeVoiceServer, ReceivedPacket

FRAME_S = 0.02
LISTENER_ID = 444


@dataclass
class WindowStats:
    received: int = 0
    sequence_gaps: int = 0  # frames missing between consecutive packets of one server (RTP sequence steps > 1)
    out_of_order: int = 0


def window_stats(packets: list[ReceivedPacket], t0: float, t1: float, jitter: list[float]) -> WindowStats:
    """Counts one server's packets that arrived in [t0, t1]; appends |arrival interval - 20 ms| to `jitter`."""
    inside = [p for p in packets if t0 <= p.arrival_s <= t1]
    stats = WindowStats(received=len(inside))
    for a, b in itertools.pairwise(inside):
        step = (b.sequence - a.sequence) % 65536
        if step == 0 or step > 32768:
            stats.out_of_order += 1
        elif step > 1:
            stats.sequence_gaps += step - 1
        jitter.append(abs((b.arrival_s - a.arrival_s) - FRAME_S))
    return stats


def percentiles_ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p99": 0.0, "max": 0.0}
    array = np.asarray(values) * 1000
    return {
        "p50": round(float(np.percentile(array, 50)), 3),
        "p99": round(float(np.percentile(array, 99)), 3),
        "max": round(float(array.max()), 3),
    }


def report(servers: list[FakeVoiceServer], t0: float, t1: float) -> dict[str, Any]:
    jitter: list[float] = []
    total = WindowStats()
    for server in servers:
        stats = window_stats(server.packets, t0, t1, jitter)
        total.received += stats.received
        total.sequence_gaps += stats.sequence_gaps
        total.out_of_order += stats.out_of_order
    listeners = [li for s in servers for li in s.listeners.values()]
    return {
        "received": total.received,
        "sequence_gaps": total.sequence_gaps,
        "out_of_order": total.out_of_order,
        "arrival_jitter_ms": percentiles_ms(jitter),
        "first_arrival_s": {str(s.guild_id): s.packets[0].arrival_s for s in servers if s.packets},
        "dave_failures": sum(li.dave_failures for li in listeners),
        "plain_frames": sum(li.plain_frames for li in listeners),
        "listener_frames": sum(len(li.frames) for li in listeners),
        "rejected": sum(s.udp_rejected.undecryptable + s.udp_rejected.wrong_ssrc for s in servers),
        # The first packet can beat the node's Speaking message to the fake, which drops it as Discord may.
        "before_speaking": sum(s.udp_rejected.before_speaking for s in servers),
    }


def trim(servers: list[FakeVoiceServer]) -> dict[str, int]:
    listeners = [li for s in servers for li in s.listeners.values()]
    counts = {
        "received": sum(len(s.packets) for s in servers),
        "dave_failures": sum(li.dave_failures for li in listeners),
        "identifies": sum(s.identifies for s in servers),
    }
    for server in servers:
        server.packets.clear()
        server.speaking.clear()
    for listener in listeners:
        listener.frames.clear()
        listener.dave_failures = 0
    return counts


async def serve(count: int) -> None:
    servers = [
        FakeVoiceServer(guild_id=1000 + i, listener_ids=(LISTENER_ID,), decode_audio=False, dave_version=1)
        for i in range(count)
    ]
    for server in servers:
        await server.start()
    described = [{"guild_id": s.guild_id, "user_id": s.node_user_id, **s.voice_state()} for s in servers]
    ca_file = str(FakeVoiceServer.ca_file())  # this process's own test CA
    print(json.dumps({"ca_file": ca_file, "servers": described}), flush=True)
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)).split():
        if line[0] == "report":
            print(json.dumps(report(servers, float(line[1]), float(line[2]))), flush=True)
        elif line[0] == "trim":
            print(json.dumps(trim(servers)), flush=True)
        elif line[0] == "quit":
            break
    for server in servers:
        await server.close()


class FakesProcess:
    """The parent's handle on the child."""

    def __init__(self, process: asyncio.subprocess.Process, setup: dict[str, Any]) -> None:
        self.process = process
        self.servers: list[dict[str, Any]] = setup["servers"]
        self.ca_file: str = setup["ca_file"]

    @classmethod
    async def start(cls, count: int) -> FakesProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.e2e_fakes", str(count),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        setup = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
        return cls(process, setup)

    async def _ask(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def report(self, t0: float, t1: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        await self._ask(f"report {t0!r} {t1!r}")
        return dict(json.loads(await asyncio.wait_for(self.process.stdout.readline(), 60)))

    async def trim(self) -> dict[str, int]:
        assert self.process.stdout is not None
        await self._ask("trim")
        return dict(json.loads(await asyncio.wait_for(self.process.stdout.readline(), 60)))

    async def close(self) -> None:
        await self._ask("quit")
        await asyncio.wait_for(self.process.wait(), 30)


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
