"""What reading HLS through the node's own reader costs: FFmpeg's hls demuxer (no planner) against `HlsFile` (a
planner: the node fetches the playlist and every segment from the planner's address), demuxed and decoded to the
end, in the same run.

    python -m bench.routed_hls --seconds 120 --repeats 5

A sweep of `--seconds` as a VOD playlist of 1 s MPEG-TS (AAC) segments served by a local aiohttp server on
127.0.0.1 (in another process); RotateOnBan over 127.0.20.0/24 for the routed reads. Prints per configuration the
median over `--repeats` of the reading thread's CPU time and wall time, and their ratio to FFmpeg's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from aiohttp import web

from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.routing.outbound import build_outbound
from tests.media import make_hls, write_audio


def _server(root: Path, port: Any) -> None:
    async def start() -> None:
        app = web.Application()
        app.router.add_static("/hls", root)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port.value = runner.addresses[0][1]
        await asyncio.Event().wait()

    asyncio.run(start())


def _serve(root: Path) -> tuple[str, Callable[[], None]]:
    """The segments served by another process, so the server takes no GIL from the reader measured."""
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=_server, args=(root, port), daemon=True)
    process.start()
    deadline = time.monotonic() + 30
    while not port.value and time.monotonic() < deadline:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port.value}/hls/index.m3u8", process.terminate


def _decode(source: Any, options: dict[str, str]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.thread_time()
    samples = 0
    with av.open(source, options=options, timeout=30) as container:
        for frame in container.decode(audio=0):
            samples += frame.samples
    return time.thread_time() - cpu, time.perf_counter() - wall, samples


async def main(seconds: float, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_hls(write_audio(root / "sweep.flac", seconds), root / "hls", rate=48_000)
        url, stop = _serve(root / "hls")
        try:
            outbound = build_outbound(RateLimitSettings(ip_blocks=("127.0.20.0/24",)))
            routed = await outbound.routed_stream(StreamSpec(url, hls=True))
            assert routed.open_file is not None
            opener = routed.open_file
            runs: dict[str, list[tuple[float, float, int]]] = {"FFmpeg hls demuxer": [], "HlsFile (planner)": []}
            for _ in range(repeats):  # interleaved, so both see the same machine
                runs["FFmpeg hls demuxer"].append(await asyncio.to_thread(_decode, url, {}))
                file = await asyncio.to_thread(opener)
                try:
                    runs["HlsFile (planner)"].append(await asyncio.to_thread(_decode, file, {}))
                finally:
                    file.close()
        finally:
            stop()
    floor_cpu = statistics.median(r[0] for r in runs["FFmpeg hls demuxer"])
    floor_wall = statistics.median(r[1] for r in runs["FFmpeg hls demuxer"])
    print(f"{seconds:.0f} s of AAC in 1 s MPEG-TS segments, median of {repeats}")
    for label, results in runs.items():
        cpu = statistics.median(r[0] for r in results)
        wall = statistics.median(r[1] for r in results)
        decoded_s = results[0][2] / 48_000
        print(f"{label:<20} decoded {decoded_s:6.1f} s  thread CPU {cpu * 1000:7.1f} ms ({cpu / floor_cpu:4.2f}x)"
              f"  wall {wall * 1000:7.1f} ms ({wall / floor_wall:4.2f}x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.repeats))
