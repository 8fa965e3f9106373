"""Transcoding capacity: the most MP3/AAC -> Opus players the node carries at opusEncodingQuality 10 with < 0.1 %
of frames lost, then twice that many with the overload policy off and on, in one run. One command:

    python -m bench.capacity --seconds 20

Players are real `Playback`s of one `AudioEngine` (its pools, its frame clock in real time) into counting
`FrameSink`s, half of them on a 44.1 kHz MP3 and half on a 44.1 kHz AAC (M4A) made here; no voice path (its cost
per player is bench/voice.py's). A run starts its players at once, waits `--warmup` seconds (first fills; the
start-up grace keeps those from lowering the complexity), then measures `--seconds`:
- lost: nulled frames + frames owed by skipped clock ticks, over frames due, and by cause;
- drain: how much the players' frame buffers fell over the window, over frames due (a 5 s buffer hides an
  overload for its first seconds: a node producing 1 % less than real time loses nothing for ~8 minutes, so a
  load is *carried* only when lost < 0.1 % and drain < 0.5 %, i.e. no frame lost within ~16 minutes of a track).
The search doubles from `--start` while carried, then bisects to `--resolution` players; then 2 x capacity with the
policy off and on. Each run prints one JSON line; the end prints a markdown row for BENCHMARKS.md. Benchmarks
measure and never assert; the machine's load and what other processes used are printed beside each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from bench.audio import _machine_busy_s, write_sweep
from lavalink_py.audio import AudioEngine, CountingSink, EngineSettings, OverloadSettings, Playback
from lavalink_py.sources.base import StreamSpec

LOST_LIMIT = 0.001
DRAIN_LIMIT = 0.005


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


@dataclass
class CapacityRun:
    players: int
    policy: bool
    quality: int
    due: int
    lost: int
    lost_share: float
    drain_share: float
    by_cause: dict[str, int]
    complexity_end: int
    steps_down: int
    steps_up: int
    streams_by_complexity: dict[int, int]
    node_cores: float
    other_cores: float
    load_1min: float

    @property
    def carried(self) -> bool:
        return self.lost_share < LOST_LIMIT and self.drain_share < DRAIN_LIMIT


async def buffered(playbacks: list[Playback], samples: int = 5) -> float:
    """Frames held by every player's buffer, averaged over `samples` reads 100 ms apart (refills are 1 s batches,
    so one read catches each player somewhere in its saw-tooth)."""
    total = 0
    for _ in range(samples):
        total += sum(p.buffered_frames for p in playbacks)
        await asyncio.sleep(0.1)
    return total / samples


async def run(
    sources: list[Path],
    players: int,
    *,
    seconds: float,
    warmup: float,
    policy: bool,
    quality: int,
    levels: tuple[int, ...] = OverloadSettings().levels,
    bitrate: int = 128_000,
) -> CapacityRun:
    gc.collect()
    overload = OverloadSettings(enabled=policy, levels=levels)
    engine = AudioEngine(EngineSettings(opus_quality=quality, opus_bitrate=bitrate, overload=overload))
    engine.start()
    playbacks = []
    try:
        for i in range(players):
            playback = engine.create_playback()
            playback.attach(CountingSink())
            playback.start(StreamSpec(str(sources[i % len(sources)])))
            playbacks.append(playback)
        await asyncio.sleep(warmup)
        clock, totals = engine.clock, engine.loss.totals
        sent0, nulled0, lost0, causes0 = clock.sent, clock.nulled, clock.lost, totals.as_dict()
        held0 = await buffered(playbacks)
        cpu0, wall0, busy0 = time.process_time(), time.perf_counter(), _machine_busy_s()
        await asyncio.sleep(seconds)
        held1 = await buffered(playbacks)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        others = max(0.0, _machine_busy_s() - busy0 - cpu) / wall
        sent, nulled, skipped = clock.sent - sent0, clock.nulled - nulled0, clock.lost - lost0
        due = sent + nulled + skipped
        by_cause = {k: v - causes0[k] for k, v in totals.as_dict().items() if v - causes0[k]}
        return CapacityRun(
            players=players,
            policy=policy,
            quality=quality,
            due=due,
            lost=nulled + skipped,
            lost_share=(nulled + skipped) / max(1, due),
            drain_share=max(0.0, held0 - held1) / max(1, due),
            by_cause=by_cause,
            complexity_end=engine.overload.dial.complexity,
            steps_down=engine.overload.policy.steps_down,
            steps_up=engine.overload.policy.steps_up,
            streams_by_complexity=engine.overload.streams_by_complexity(),
            node_cores=cpu / wall,
            other_cores=others,
            load_1min=float(loadavg().split()[0]),
        )
    finally:
        await engine.close()


def emit(kind: str, r: CapacityRun) -> None:
    print(json.dumps({"kind": kind, "carried": r.carried, **asdict(r)}), flush=True)


def pct(share: float) -> str:
    return f"{100 * share:.3f} %"


def policy_cell(r: CapacityRun) -> str:
    causes = ", ".join(f"{k} {v}" for k, v in r.by_cause.items()) or "none"
    levels = "/".join(f"{n}@{c}" for c, n in sorted(r.streams_by_complexity.items(), reverse=True) if n)
    return (
        f"{pct(r.lost_share)} lost ({causes}), drain {pct(r.drain_share)}, complexity {r.complexity_end} "
        f"({r.steps_down} down; {levels or '-'}), node {r.node_cores:.2f} cores"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run, after warm-up")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds between starting the players and measuring")
    parser.add_argument("--start", type=int, default=40, help="players of the first probe")
    parser.add_argument("--max", type=int, default=640, help="no probe above this many players")
    parser.add_argument("--resolution", type=int, default=8, help="bisect until the bracket is this narrow")
    parser.add_argument("--quality", type=int, default=10, help="opusEncodingQuality (the policy's top level)")
    parser.add_argument("--factor", type=float, default=2.0, help="the overload runs: this many times capacity")
    parser.add_argument("--capacity", type=int, default=0, help="skip the search: this is the capacity")
    parser.add_argument("--levels", default="", help="the policy's ladder for the 'on' run, e.g. 10,7,5,0")
    args = parser.parse_args()
    load_before = loadavg()
    print(json.dumps({"kind": "start", "utc": time.strftime("%H:%M:%S", time.gmtime()), "load": load_before,
                      "cores": psutil.cpu_count()}), flush=True)  # fmt: skip
    length = args.warmup + args.seconds + 10
    with tempfile.TemporaryDirectory() as tmp:
        sources = [
            write_sweep(Path(tmp) / "sweep.mp3", "libmp3lame", 44_100, length),
            write_sweep(Path(tmp) / "sweep.m4a", "aac", 44_100, length),
        ]

        levels = tuple(int(x) for x in args.levels.split(",")) if args.levels else OverloadSettings().levels

        async def probe(n: int, policy: bool = False) -> CapacityRun:
            return await run(
                sources, n, seconds=args.seconds, warmup=args.warmup, policy=policy, quality=args.quality, levels=levels
            )

        capacity = args.capacity
        if not capacity:
            good, bad = 0, 0
            n = args.start
            while n <= args.max:
                r = await probe(n)
                emit("probe", r)
                if not r.carried:
                    bad = n
                    break
                good, n = n, n * 2
            bad = bad or args.max
            while bad - good > args.resolution:
                n = (good + bad) // 2
                r = await probe(n)
                emit("probe", r)
                good, bad = (n, bad) if r.carried else (good, n)
            capacity = good
        over = max(1, round(args.factor * capacity))
        off, on = await probe(over, policy=False), await probe(over, policy=True)
        emit("overload", off)
        emit("overload", on)
    load_after = loadavg()
    print(json.dumps({"kind": "end", "utc": time.strftime("%H:%M:%S", time.gmtime()), "load": load_after}))
    print()
    print(
        "| UTC | load before / after | capacity at quality "
        f"{args.quality} (< 0.1 % lost, drain < 0.5 %) | {args.factor:g}x = {over} players, policy off "
        "| policy on |"
    )
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} | {load_before.split()[0]} / {load_after.split()[0]} "
        f"| {capacity} | {policy_cell(off)} | {policy_cell(on)} |"
    )


if __name__ == "__main__":
    asyncio.run(main())
