"""Tracing overhead: the same REST calls against a node with `otel.enabled` false and true.

    python -m bench.tracing [--requests 2000] [--rounds 2]

Each round starts a node (tests/test_tracing.py's wiring) and a real OTLP/HTTP receiver on 127.0.0.1, then times
sequential calls from one client over loopback: `GET /v4/info` with a `traceparent` (the middleware alone),
`GET /v4/loadtracks` of a local mp3 (a span per request) and a play + stop pair of PATCHes (a track span).
Also the observer alone: TrackStartEvent + TrackEndEvent handed to `Tracing.observe`, without HTTP.
The export runs in the SDK's thread of this process, so its CPU is part of what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from lavalink_py.api.tracing import TRACING
from tests.media import write_audio
from tests.node import RunningNode, connect
from tests.otlp_receiver import OtlpReceiver
from tests.test_tracing import TRACEPARENT, running

Call = Callable[[], Awaitable[None]]


async def timed(call: Call, count: int) -> dict[str, float]:
    for _ in range(min(200, count)):
        await call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return {
        "mean_us": round(statistics.fmean(samples) * 1e6, 1),
        "p50_us": round(statistics.median(samples) * 1e6, 1),
    }


def calls(http: aiohttp.ClientSession, node: RunningNode, song: Path, player_url: str, encoded: str) -> dict[str, Call]:
    async def info() -> None:
        async with http.get(f"{node.url}/v4/info", headers={**node.auth, **TRACEPARENT}) as response:
            await response.read()

    async def load() -> None:
        params = {"identifier": str(song)}
        async with http.get(f"{node.url}/v4/loadtracks", params=params, headers={**node.auth, **TRACEPARENT}) as r:
            await r.read()

    async def play_stop() -> None:
        for track in (encoded, None):
            body = {"track": {"encoded": track}}
            async with http.patch(player_url, json=body, headers={**node.auth, **TRACEPARENT}) as response:
                await response.read()

    return {"info": info, "loadtracks": load, "play+stop": play_stop}


async def observer_cost(node: RunningNode, encoded: str, count: int) -> float:
    track = {"encoded": encoded, "info": {"sourceName": "local", "title": "t", "length": 1000}}
    start = {"op": "event", "type": "TrackStartEvent", "guildId": "1", "track": track}
    end = {"op": "event", "type": "TrackEndEvent", "guildId": "1", "track": track, "reason": "finished"}
    # Fewer than the batch queue holds (2048 spans), so none is dropped.
    observe = node.app[TRACING].observe
    started = time.perf_counter()
    for _ in range(count):
        observe(start)
        observe(end)
    return round((time.perf_counter() - started) / count * 1e6, 2)


async def one_round(enabled: bool, song: Path, requests: int) -> dict[str, Any]:
    async with OtlpReceiver() as receiver, aiohttp.ClientSession() as http:
        otel = {"enabled": enabled, "endpoint": receiver.url, "token": "t"}
        async with running(otel) as (node, _):
            params = {"identifier": str(song)}
            async with http.get(f"{node.url}/v4/loadtracks", params=params, headers=node.auth) as response:
                encoded = (await response.json())["data"]["encoded"]
            socket, ready, _ = await connect(http, node)
            player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/1"
            cpu = time.process_time()
            report: dict[str, Any] = {
                name: await timed(call, requests) for name, call in calls(http, node, song, player_url, encoded).items()
            }
            report["cpu_s"] = round(time.process_time() - cpu, 2)
            if enabled:
                report["observer_start_end_us"] = await observer_cost(node, encoded, 1000)
                await asyncio.to_thread(node.app[TRACING].force_flush, 30_000)
            await socket.close()
        report["spans_received"] = len(receiver.spans)
    return report


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        song = write_audio(Path(directory) / "song.mp3", 1.0, title="Bench")
        for round_number in range(args.rounds):
            for enabled in (False, True):
                report = await one_round(enabled, song, args.requests)
                print(json.dumps({"round": round_number, "otel": enabled, **report}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
