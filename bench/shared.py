"""CPU of N players of one live radio with shared decode/encode (audio/shared.py), against one player's own.

Command: python -m bench.shared --players 1,50,200 --seconds 10 [--rounds 3]

A radio (an endless MP3 sweep, chunked, no length) runs in a child process so its serving cost is not counted;
for each run an `AudioEngine` with `share_live_streams` (real frame clock, default settings) starts N playbacks
of it into `CountingSink`s, waits 3 s and measures the process CPU over the window. The reference is one player
of the same radio on an engine without sharing, measured in the same run; each row's ratio is its CPU over it.
With --rounds N every row, the reference included, runs N times in turn and the medians are printed (the
reference alone varies by a third between runs on the shared machine).
Voice sends are not in this figure (a sink only counts frames): it measures what is shared, the decode+encode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median
from typing import NamedTuple

from bench.audio import write_sweep
from lavalink_py.audio import AudioEngine, CountingSink, EngineSettings
from lavalink_py.sources.base import StreamSpec

RADIO = """
import sys
from aiohttp import web
data = open(sys.argv[1], "rb").read()
connections = 0
async def endless(request):
    global connections
    connections += 1
    print("connection", connections, flush=True)
    response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        while True:
            for i in range(0, len(data), 4096):
                await response.write(data[i : i + 4096])
    except ConnectionError:  # the listener left (each run's engine closes its players): not an error
        return response
app = web.Application()
app.router.add_get("/radio", endless)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[2]), print=None)
"""


class Run(NamedTuple):
    cpu: float  # process CPU seconds per wall second over the window
    frames: int  # frames the sinks got in the window
    nulled: int
    loop: float  # of `cpu`, the event loop's thread: the ticks and the per-player work (the pools do the encode)


async def run(url: str, players: int, seconds: float, share: bool) -> Run:
    """One engine of `players` playbacks of the radio, measured over `seconds` after a 3 s warm-up."""
    engine = AudioEngine(EngineSettings(share_live_streams=share))
    engine.start()
    sinks = []
    for _ in range(players):
        playback = engine.create_playback()
        sink = CountingSink()
        playback.attach(sink)
        playback.start(StreamSpec(url, is_live=True))
        sinks.append(sink)
    await asyncio.sleep(3.0)
    frames0 = sum(s.frames for s in sinks)
    nulled0 = sum(p.frames_nulled for p in engine.playbacks)
    cpu0, loop0, wall0 = time.process_time(), time.thread_time(), time.monotonic()
    await asyncio.sleep(seconds)
    wall = time.monotonic() - wall0
    cpu, loop = (time.process_time() - cpu0) / wall, (time.thread_time() - loop0) / wall
    frames = sum(s.frames for s in sinks) - frames0
    nulled = sum(p.frames_nulled for p in engine.playbacks) - nulled0
    await engine.close()
    await asyncio.sleep(0.5)
    return Run(cpu, frames, nulled, loop)


@contextlib.contextmanager
def radio(mp3: Path, port: int) -> Iterator[str]:
    """The endless radio of `mp3` in a child process (its serving cost not counted); yields its URL."""
    server = subprocess.Popen([sys.executable, "-c", RADIO, str(mp3), str(port)])
    try:
        time.sleep(1.5)
        yield f"http://127.0.0.1:{port}/radio"
    finally:
        server.terminate()
        server.wait()


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", default="1,50,200")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=18_731)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    counts = [int(n) for n in args.players.split(",")]
    rows: dict[int, list[Run]] = {0: [], **{n: [] for n in counts}}  # 0: the reference
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "sweep.mp3", "libmp3lame", 44_100, 30.0)
        with radio(mp3, args.port) as url:
            print(f"load before: {loadavg()}  cores: {os.cpu_count()}")
            for _ in range(args.rounds):
                rows[0].append(await run(url, 1, args.seconds, share=False))
                for n in counts:
                    rows[n].append(await run(url, n, args.seconds, share=True))
            print(f"load after: {loadavg()}")
    own = median(r.cpu for r in rows[0])
    print("| run | CPU % of a core | vs one player's own stream | of it, the loop thread | frames sent / nulled |")
    print("| --- | --- | --- | --- | --- |")
    for n, runs in rows.items():
        cpu, loop = median(r.cpu for r in runs), median(r.loop for r in runs)
        name = "1 player, own stream (reference)" if n == 0 else f"{n} players, shared"
        last = runs[-1]
        print(f"| {name} | {cpu * 100:.2f} | {cpu / own:.2f}x | {loop * 100:.2f} | {last.frames} / {last.nulled} |")


if __name__ == "__main__":
    asyncio.run(main())
