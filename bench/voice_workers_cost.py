"""What voice worker processes cost one player (issue 11: may `voiceWorkers` be on by default?).

A real node process per run (`python -m lavalink_py`, the environment sets `voiceWorkers`), one fake Discord voice
server per player in this process, runs alternating in-process (0) and workers (N) so both see the same load:
- first packet: from the PATCH that gives a player its voice state and track to the voice server's first RTP
  packet; `cold` for the node's first player (with workers: the pool's spawn at the first connection included),
  `warm` for a second player once the first is playing;
- RSS: the node and every child of it (workers, multiprocessing's resource tracker), idle after start and with
  the two players playing; the workers' own resident memory is most of the difference.
The in-process run is the floor: the report gives each figure for both and the ratio workers / in-process.

    python -m bench.voice_workers_cost [--workers 2] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.node import PASSWORD, USER_ID, VOICE_WORKERS_VARIABLE
from tests.persistence.test_restart import RATE, NodeDir, connect, free_port, linear_sweep, request

GUILDS = (111, 112)
TRACK_S = 20.0


def tree_rss_mib(pid: int) -> float:
    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20


async def one_run(workers: int, directory: Path, media: Path) -> dict[str, float]:
    os.environ[VOICE_WORKERS_VARIABLE] = str(workers)
    port = free_port()
    (directory / "application.yml").write_text(
        f"server:\n  port: {port}\n  address: 127.0.0.1\n"
        f"lavalink:\n  server:\n    password: {PASSWORD}\n    sources:\n      local: true\n"
        "persistence:\n  enabled: false\n"
    )
    node = NodeDir(directory, port, media)
    process = await node.start()
    try:
        await asyncio.sleep(1.0)  # start-up's own work settles before the idle figure
        idle = tree_rss_mib(process.pid)
        firsts: list[float] = []
        playing = 0.0
        async with aiohttp.ClientSession() as http:
            socket, ready = await connect(http, node.base)
            loaded = await request(http, "GET", f"{node.base}/v4/loadtracks?identifier={media}")
            for guild in GUILDS:
                async with FakeVoiceServer(guild_id=guild, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
                    url = f"{node.base}/v4/sessions/{ready['sessionId']}/players/{guild}"
                    t0 = time.perf_counter()
                    await request(http, "PATCH", url, {"voice": server.voice_state(),
                                                       "track": {"encoded": loaded["data"]["encoded"]}})
                    await server.wait_for(lambda s=server: bool(s.packets), 120)  # type: ignore[misc]
                    firsts.append(time.perf_counter() - t0)
                    if guild == GUILDS[-1]:
                        await asyncio.sleep(2.0)
                        playing = tree_rss_mib(process.pid)
            await socket.close()
        return {"cold_ms": firsts[0] * 1000, "warm_ms": firsts[1] * 1000, "idle_mib": idle, "playing_mib": playing}
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["SSL_CERT_FILE"] = str(FakeVoiceServer.ca_file())
    load_before = os.getloadavg()
    results: dict[int, list[dict[str, float]]] = {0: [], args.workers: []}
    with tempfile.TemporaryDirectory() as tmp:
        media = write_audio(Path(tmp) / "sweep.flac", samples=linear_sweep(TRACK_S), rate=RATE, title="Sweep")
        for run in range(args.runs):
            for workers in (0, args.workers) if run % 2 == 0 else (args.workers, 0):
                directory = Path(tmp) / f"run-{run}-{workers}"
                directory.mkdir()
                results[workers].append(await one_run(workers, directory, media))
    report: dict[str, Any] = {"load_before": [round(x, 2) for x in load_before],
                              "load_after": [round(x, 2) for x in os.getloadavg()]}
    for key in ("cold_ms", "warm_ms", "idle_mib", "playing_mib"):
        floor = statistics.median(r[key] for r in results[0])
        with_workers = statistics.median(r[key] for r in results[args.workers])
        report[key] = {"in_process": round(floor, 1), f"workers_{args.workers}": round(with_workers, 1),
                       "ratio": round(with_workers / floor, 2)}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
