"""Soak under churn: does the node's memory, fd and thread count stay flat while players come and go?

    python -m bench.soak --minutes 30 --players 50

The real node (build_app on 127.0.0.1:0, in this process) and one raw Lavalink client session drive N players,
each with its own fake Discord voice server (DAVE on, one listener; all of them in a child process, bench.e2e_fakes).
Every player loops a local track (re-played on each TrackEndEvent `finished`), and once a second one player gets
the next operation of the cycle play (replace its track) / stop (re-played a few seconds later) / destroy (DELETE,
then recreated at once with its voice state and track, so a new voice connection and DAVE session). Every
--sample-s the process's RSS, open fds and threads are recorded; at the end the growth from minute 2 to the end is
reported (the first two minutes fill pools, caches and allocator arenas once).

Diagnostics, for finding what grows (both slow the node; leave them off for the figure):
  --tracemalloc  snapshot at minute 2 and at the end, print the allocation sites that grew most;
  --gc-types     count gc-tracked objects by type at minute 2 and at the end, print the types that grew most.
Each sample also records glibc's heap in use and free-but-kept (mallinfo2) and the live Python blocks: RSS that
grows while the bytes in use and the blocks stay flat is the allocator keeping freed memory, not a leak.
--malloc-trim-s N calls malloc_trim(0) every N seconds, to measure how much of RSS that is; --malloc-info records
each glibc arena at minute 2 and the end. The bench tunes malloc as the node's entry point does
(lavalink_py.allocator); --glibc-defaults leaves it untuned, for the figure before that tuning.
The result goes to stdout as JSON and, with --benchmarks, as a section of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ctypes
import gc
import json
import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil

from bench.e2e_fakes import FakesProcess
from bench.e2e_media import write_source
from bench.e2e_node import PASSWORD, Client, make_players, start_node
from lavalink_py.allocator import arenas, mallinfo2, tune_malloc

STOP_PAUSE_S = 3.0  # a stopped player plays again after this
OPERATIONS = ("play", "stop", "destroy")
MIB = 2**20
SECTION = "## Soak under churn (`bench/soak.py`)"


@dataclass
class Sample:
    at_s: float
    rss_mib: float
    fds: int
    threads: int
    players: int
    tasks: int
    received: int  # packets the fakes got since the previous sample
    heap_used_mib: float  # glibc malloc: bytes handed out (all arenas, mmapped chunks included)
    heap_free_mib: float  # glibc malloc: free bytes kept in the arenas (not given back to the system)
    py_blocks: int  # sys.getallocatedblocks(): live Python allocations

    def row(self) -> dict[str, Any]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in self.__dict__.items()}


@dataclass
class SoakClient(Client):
    """The bench's raw client, also handing each TrackEndEvent to the churn loop."""

    ends: asyncio.Queue[tuple[int, str]] = field(default_factory=asyncio.Queue)
    errors: list[str] = field(default_factory=list)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                data = message.json()
                if data.get("op") == "event":
                    self.events[data["type"]] = self.events.get(data["type"], 0) + 1
                    if data["type"] == "TrackEndEvent":
                        self.ends.put_nowait((int(data["guildId"]), data["reason"]))

    async def destroy(self, guild_id: int) -> None:
        url = f"{self.base}/v4/sessions/{self.session_id}/players/{guild_id}"
        async with self.http.delete(url, headers={"Authorization": PASSWORD}) as response:
            if response.status != 204:
                self.errors.append(f"DELETE {guild_id} -> {response.status}: {(await response.text())[:200]}")

    async def safe_patch(self, guild_id: int, body: dict[str, Any]) -> None:
        """A refused request is counted, not fatal: the soak is about memory, and one failure must not end it."""
        try:
            await self.patch(guild_id, body)
        except (RuntimeError, aiohttp.ClientError) as error:
            self.errors.append(str(error)[:200])


class Churn:
    """The operations: the one-a-second cycle, the loop on `finished`, the delayed re-play after a stop."""

    def __init__(self, client: SoakClient, fakes: FakesProcess, track: str, operations: tuple[str, ...]) -> None:
        self.client, self.track, self.operations = client, track, operations
        self.voice = {
            int(s["guild_id"]): {k: s[k] for k in ("token", "endpoint", "sessionId", "channelId")}
            for s in fakes.servers
        }
        self.guilds = list(self.voice)
        self.counts: collections.Counter[str] = collections.Counter()
        self._pending: set[asyncio.Task[None]] = set()

    def play_body(self) -> dict[str, Any]:
        return {"track": {"identifier": self.track}}

    async def step(self, k: int) -> None:
        guild, operation = self.guilds[k % len(self.guilds)], self.operations[k % len(self.operations)]
        self.counts[operation] += 1
        if operation == "play":
            await self.client.safe_patch(guild, self.play_body())
        elif operation == "stop":
            await self.client.safe_patch(guild, {"track": {"encoded": None}})
            self._later(STOP_PAUSE_S, guild)
        else:
            await self.client.destroy(guild)
            await self.client.safe_patch(guild, {"voice": self.voice[guild], **self.play_body()})

    def _later(self, delay_s: float, guild: int) -> None:
        async def replay() -> None:
            await asyncio.sleep(delay_s)
            await self.client.safe_patch(guild, self.play_body())

        task = asyncio.create_task(replay())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def loop_finished(self) -> None:
        while True:
            guild, reason = await self.client.ends.get()
            if reason == "finished":
                self.counts["finished"] += 1
                await self.client.safe_patch(guild, self.play_body())

    async def cancel(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)


def type_counts() -> collections.Counter[str]:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def grown_types(before: collections.Counter[str], after: collections.Counter[str], top: int = 25) -> list[str]:
    diff = after.copy()
    diff.subtract(before)
    return [f"{name}: {before[name]} -> {after[name]} (+{n})" for name, n in diff.most_common(top) if n > 0]


def grown_sites(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, top: int = 25) -> list[str]:
    stats = after.compare_to(before, "traceback")
    lines = []
    for stat in stats[:top]:
        frames = [f"{f.filename.rsplit('site-packages/', 1)[-1]}:{f.lineno}" for f in stat.traceback[-6:]]
        lines.append(f"{stat.size_diff / 1024:+.1f} KiB {stat.count_diff:+d} blocks  " + " < ".join(frames[::-1]))
    return lines


def _libc() -> ctypes.CDLL | None:
    return ctypes.CDLL(None) if mallinfo2() is not None else None  # glibc 2.33+ only


LIBC = _libc()


def heap_mib() -> tuple[float, float]:
    """(in use, free but kept) over all glibc arenas: RSS growing with `in use` flat is the allocator, not a leak."""
    info = mallinfo2()
    if info is None:
        return 0.0, 0.0
    return (info.uordblks + info.hblkhd) / MIB, info.fordblks / MIB


def take(process: psutil.Process, started: float, received: int) -> Sample:
    used, free = heap_mib()
    return Sample(
        at_s=time.monotonic() - started,
        rss_mib=process.memory_info().rss / MIB,
        fds=process.num_fds(),
        threads=process.num_threads(),
        players=0,
        tasks=len(asyncio.all_tasks()),
        received=received,
        heap_used_mib=used,
        heap_free_mib=free,
        py_blocks=sys.getallocatedblocks(),
    )


def slope_mib_per_min(samples: list[Sample]) -> float:
    """Least-squares slope of RSS over time: a steady leak shows here even when the end point is noisy."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s.at_s / 60 for s in samples], [s.rss_mib for s in samples]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def summarize(samples: list[Sample], warm_s: float) -> dict[str, Any]:
    warm = [s for s in samples if s.at_s >= warm_s] or samples[-1:]
    first, last = warm[0], warm[-1]
    return {
        "rss_mib_at_warm": round(first.rss_mib, 1),
        "rss_mib_at_end": round(last.rss_mib, 1),
        "rss_growth_pct": round((last.rss_mib - first.rss_mib) / first.rss_mib * 100, 2),
        "rss_slope_mib_per_min": round(slope_mib_per_min(warm), 3),
        "rss_mib_max": round(max(s.rss_mib for s in warm), 1),
        "fds": [min(s.fds for s in warm), max(s.fds for s in warm)],
        "threads": [min(s.threads for s in warm), max(s.threads for s in warm)],
        "tasks": [min(s.tasks for s in warm), max(s.tasks for s in warm)],
        "heap_used_mib_at_warm_and_end": [round(first.heap_used_mib, 1), round(last.heap_used_mib, 1)],
        "heap_free_mib_at_warm_and_end": [round(first.heap_free_mib, 1), round(last.heap_free_mib, 1)],
        "py_blocks_at_warm_and_end": [first.py_blocks, last.py_blocks],
        "fds_at_warm_and_end": [first.fds, last.fds],
        "threads_at_warm_and_end": [first.threads, last.threads],
    }


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    # The node's entry point (cli.main) does this first; the bench serves build_app itself, so it does it too.
    malloc_tuned = [] if args.glibc_defaults else tune_malloc(os.environ)
    if args.tracemalloc:
        tracemalloc.start(25)
    source = write_source(Path(args.media_dir), args.workload, args.track_seconds)
    process = psutil.Process()
    fakes = await FakesProcess.start(args.players)
    os.environ["SSL_CERT_FILE"] = fakes.ca_file  # the node's voice connections trust the fakes' test CA
    runner, base, node = await start_node()
    http = aiohttp.ClientSession()
    client = SoakClient(http, base)
    churn = Churn(client, fakes, str(source), tuple(args.operations.split(",")))
    samples: list[Sample] = []
    diagnostics: dict[str, Any] = {}
    load_before = os.getloadavg()
    looper: asyncio.Task[None] | None = None
    try:
        await client.connect()
        await make_players(client, node, churn.guilds, fakes)
        for guild in churn.guilds:
            await client.patch(guild, churn.play_body())
        looper = asyncio.create_task(churn.loop_finished())
        started = time.monotonic()
        deadline = started + args.minutes * 60
        next_sample, next_trim, k = started, started, 0
        warm_marks: dict[str, Any] | None = None
        while (now := time.monotonic()) < deadline:
            if now >= next_sample:
                sample = take(process, started, (await fakes.trim())["received"])
                sample.players = sum(1 for _ in node.sessions.players())
                samples.append(sample)
                print(json.dumps(sample.row()), file=sys.stderr, flush=True)
                next_sample += args.sample_s
                if warm_marks is None and sample.at_s >= args.warm_s:
                    gc.collect()
                    warm_marks = {
                        "types": type_counts() if args.gc_types else None,
                        "snapshot": tracemalloc.take_snapshot() if args.tracemalloc else None,
                    }
                    if args.malloc_info:
                        diagnostics["arenas_at_warm"] = arenas()
            if args.malloc_trim_s and LIBC is not None and now >= next_trim:
                LIBC.malloc_trim(0)  # the experiment: how much of RSS is free heap the allocator kept?
                next_trim += args.malloc_trim_s
            await churn.step(k)
            k += 1
            await asyncio.sleep(max(0.0, started + k - time.monotonic()))  # one operation a second
        gc.collect()
        if args.malloc_info:
            diagnostics["arenas_at_end"] = arenas()
        if warm_marks is not None and warm_marks["types"] is not None:
            diagnostics["grown_types"] = grown_types(warm_marks["types"], type_counts())
        if warm_marks is not None and warm_marks["snapshot"] is not None:
            diagnostics["grown_sites"] = grown_sites(warm_marks["snapshot"], tracemalloc.take_snapshot())
    finally:
        if looper is not None:
            looper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await looper
        await churn.cancel()
        await client.close()
        await http.close()
        await runner.cleanup()
        await fakes.close()
    return {
        "players": args.players,
        "minutes": args.minutes,
        "workload": args.workload,
        "warm_s": args.warm_s,
        "malloc_tuned": malloc_tuned,
        **summarize(samples, args.warm_s),
        "operations": dict(churn.counts),
        "events": dict(client.events),
        "refused_requests": len(client.errors),
        "first_refusals": client.errors[:3],
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "samples": [s.row() for s in samples],
        **diagnostics,
    }


def markdown_section(result: dict[str, Any], command: str, ended: str) -> str:
    samples = result["samples"]
    every = max(1, len(samples) // 12)
    rows = "\n".join(
        f"| {s['at_s'] / 60:.1f} | {s['rss_mib']:.1f} | {s['fds']} | {s['threads']} | {s['players']} | {s['tasks']} |"
        for s in samples[::every] + samples[-1:]
    )
    return f"""{SECTION}

Command: `{command}` (ended {ended}; load average {result["load_average_before"]} before,
{result["load_average_after"]} after; x86_64, 2 cores shared with other sessions).

{result["players"]} players, {result["workload"]}, {result["minutes"]} min; operations {result["operations"]},
refused requests {result["refused_requests"]}.

- RSS from minute 2 to the end: {result["rss_mib_at_warm"]} → {result["rss_mib_at_end"]} MiB
  (**{result["rss_growth_pct"]:+.2f} %**, least-squares slope {result["rss_slope_mib_per_min"]:+.3f} MiB/min,
  max {result["rss_mib_max"]} MiB).
- fds after minute 2: {result["fds"][0]}-{result["fds"][1]}; threads {result["threads"][0]}-{result["threads"][1]};
  asyncio tasks {result["tasks"][0]}-{result["tasks"][1]}.

| minute | RSS MiB | fds | threads | players | tasks |
|---|---|---|---|---|---|
{rows}
"""


def write_section(path: Path, section: str) -> None:
    """Replaces the soak section of BENCHMARKS.md (up to the next `## `), or appends it."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start < 0:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + len(SECTION))
    rest = text[end + 1 :] if end >= 0 else ""
    path.write_text(text[:start] + section + ("\n" + rest if rest else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--players", type=int, default=50)
    parser.add_argument("--workload", default="passthrough", choices=("passthrough", "transcode"))
    parser.add_argument("--track-seconds", type=float, default=30.0, help="length of the looped track")
    parser.add_argument("--sample-s", type=float, default=10.0)
    parser.add_argument(
        "--warm-s", type=float, default=120.0, help="growth is measured from here (pools and arenas fill first)"
    )
    parser.add_argument(
        "--operations", default=",".join(OPERATIONS), help="the churn cycle, a subset of play,stop,destroy (to bisect)"
    )
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument(
        "--glibc-defaults", action="store_true", help="leave glibc's malloc untuned (the node's old allocator)"
    )
    parser.add_argument("--malloc-info", action="store_true", help="glibc arenas' sizes at minute 2 and the end")
    parser.add_argument(
        "--malloc-trim-s", type=float, default=0.0, help="experiment: malloc_trim(0) every this many seconds; 0 = never"
    )
    parser.add_argument("--gc-types", action="store_true")
    parser.add_argument("--media-dir", default=str(Path(tempfile.gettempdir()) / "lavalink_py_e2e"))
    parser.add_argument("--benchmarks", default="", help="BENCHMARKS.md to write the section into; '' = none")
    parser.add_argument("--json", default="", help="also write the full result here")
    args = parser.parse_args()
    result = asyncio.run(soak(args))
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    if args.benchmarks:
        command = "python -m bench.soak " + " ".join(sys.argv[1:])
        ended = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        write_section(Path(args.benchmarks), markdown_section(result, command, ended))


if __name__ == "__main__":
    main()
