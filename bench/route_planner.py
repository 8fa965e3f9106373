"""What the route planner costs a request: the same GET with and without a planner, and `choose` alone.

    python -m bench.route_planner --requests 400

Against a local aiohttp server on 127.0.0.1: without a planner the HTTP source's pooled session (keep-alive);
with RotateOnBan over 127.0.20.0/24 a fresh connector bound to the planner's address per attempt (as lavaplayer's
rotator, which disables pooling). Prints milliseconds per GET (median and p90, sequential) and microseconds per
`choose` for each strategy.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.sources.routing.outbound import Outbound, build_outbound
from lavalink_py.sources.routing.planner import build_planner


async def _gets(outbound: Outbound, url: str, count: int) -> list[float]:
    timings: list[float] = []
    async with aiohttp.ClientSession() as session:
        for _ in range(count):
            started = time.perf_counter()
            async with outbound.get(session, url) as response:
                await response.read()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def _choose_us(strategy: str, cidr: str, count: int) -> float:
    planner = build_planner(strategy, [cidr], start_ns=0, rng=random.Random(1))  # type: ignore[arg-type]
    started = time.perf_counter_ns()
    for n in range(count):
        planner.choose(now_ns=n * 1000, now_ms=1_800_000_000_000)
    return (time.perf_counter_ns() - started) / count / 1000


async def main(requests: int) -> None:
    app = web.Application()
    app.router.add_get("/x", lambda _request: _ok())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    url = f"http://127.0.0.1:{server.port}/x"
    try:
        for label, outbound in (
            ("no planner (pooled)", Outbound()),
            ("RotateOnBan 127.0.20.0/24", build_outbound(RateLimitSettings(ip_blocks=("127.0.20.0/24",)))),
        ):
            await _gets(outbound, url, 20)  # warm up
            timings = sorted(await _gets(outbound, url, requests))
            p90 = timings[int(len(timings) * 0.9)]
            print(f"{label:28s} GET median {statistics.median(timings):6.2f} ms  p90 {p90:6.2f} ms")
    finally:
        await server.close()
    for strategy, cidr in (("RotateOnBan", "127.0.20.0/24"), ("LoadBalance", "127.0.20.0/24"),
                           ("NanoSwitch", "2001:db8::/64"), ("RotatingNanoSwitch", "2001:db8::/64")):
        print(f"choose {strategy:20s} {_choose_us(strategy, cidr, 20000):6.2f} us")


async def _ok() -> web.Response:
    return web.Response(text="ok")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    asyncio.run(main(parser.parse_args().requests))
