"""Overload benchmark: more transcoding players than the cores carry at Opus complexity 10, with and without the
overload policy, in the same run (alternating), on the real engine and frame clock.

    python -m bench.overload --seconds 40 --factor 2

1. libopus alone: µs per 20 ms frame at each complexity of the policy's ladder (the cost it trades).
2. Capacity at complexity 10: CPU per stream measured with a small load (--probe players, policy off), and the
   cores this process actually gets (2 minus what other processes use meanwhile); capacity = cores / per stream.
3. `--factor` times that capacity players, policy off, then on (then off and on again with --rounds 2): frames lost
   (nulled + skipped ticks) over the measured seconds, by cause, and the complexity the policy reached.
Measured after the buffers had time to drain: a 5 s frame buffer hides an overload for its first seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psutil

from bench.audio import _machine_busy_s, write_sweep
from lavalink_py.audio import AudioEngine, CountingSink, EngineSettings, OverloadSettings
from lavalink_py.audio.libopus import LIB, SET_MAX_BANDWIDTH, CtypesOpusEncoder
from lavalink_py.audio.overload import BANDWIDTHS, EncoderLevel
from lavalink_py.sources.base import StreamSpec

WARMUP_S = 3.0


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().strip()


def opus_us_per_frame(complexity: int, frames: int = 500, level: EncoderLevel | None = None) -> float:
    """CPU µs libopus alone spends on one 20 ms stereo frame of a sweep at `complexity` (or at `level`: complexity,
    bitrate and band, a step of the overload policy's ladder)."""
    assert LIB is not None, "bench needs libopus through ctypes"
    level = level or EncoderLevel(complexity)
    t = np.arange(960 * frames) / 48_000
    left = 0.4 * np.sin(2 * np.pi * (200 * t + 40 * t * t))
    right = 0.4 * np.sin(2 * np.pi * (300 * t + 30 * t * t))  # a stereo image: mono would flatter the encoder
    pcm = np.ascontiguousarray((np.stack([left, right], axis=1) * 32767).astype(np.int16))
    enc = CtypesOpusEncoder(LIB, level.complexity, level.bitrate)
    if level.bandwidth != "fullband":
        enc.ctl(SET_MAX_BANDWIDTH, BANDWIDTHS[level.bandwidth])
    cpu0 = time.thread_time()
    enc.encode_frames(pcm)
    return 1e6 * (time.thread_time() - cpu0) / frames


def ladder_costs() -> list[tuple[EncoderLevel, float]]:
    """libopus alone on each step of the default ladder, µs per frame (median of 3, the steps alternating)."""
    ladder = OverloadSettings().ladder(10, 128_000)
    runs = [[opus_us_per_frame(level.complexity, level=level) for level in ladder] for _ in range(3)]
    return [(level, float(np.median([run[i] for run in runs]))) for i, level in enumerate(ladder)]


@dataclass
class Run:
    policy: bool
    players: int
    due: int
    lost: int
    by_cause: dict[str, int]
    complexity: int
    encoder: str  # the policy's last step: complexity, bitrate, band
    steps_down: int
    steps_up: int
    streams_by_complexity: dict[int, int]
    cpu_cores: float
    other_cores: float


async def run(path: Path, players: int, seconds: float, policy: bool) -> Run:
    gc.collect()
    settings = EngineSettings(overload=OverloadSettings(enabled=policy))
    engine = AudioEngine(settings)
    engine.start()
    playbacks = []
    for _ in range(players):
        playback = engine.create_playback()
        playback.attach(CountingSink())
        playback.start(StreamSpec(str(path)))
        playbacks.append(playback)
    await asyncio.sleep(WARMUP_S)
    clock, totals = engine.clock, engine.loss.totals
    sent0, nulled0, lost0 = clock.sent, clock.nulled, clock.lost
    causes0 = totals.as_dict()
    cpu0, wall0, busy0 = time.process_time(), time.perf_counter(), _machine_busy_s()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    others = max(0.0, _machine_busy_s() - busy0 - cpu) / wall
    sent, nulled, lost_ticks = clock.sent - sent0, clock.nulled - nulled0, clock.lost - lost0
    by_cause = {k: v - causes0[k] for k, v in totals.as_dict().items()}
    result = Run(
        policy=policy,
        players=players,
        due=sent + nulled + lost_ticks,
        lost=nulled + lost_ticks,
        by_cause={k: v for k, v in by_cause.items() if v},
        complexity=engine.overload.dial.complexity,
        encoder=engine.overload.dial.level.describe(),
        steps_down=engine.overload.policy.steps_down,
        steps_up=engine.overload.policy.steps_up,
        streams_by_complexity=engine.overload.streams_by_complexity(),
        cpu_cores=cpu / wall,
        other_cores=others,
    )
    await engine.close()
    return result


def report(r: Run) -> str:
    share = 100 * r.lost / max(1, r.due)
    levels = ", ".join(f"{n} at {c}" for c, n in sorted(r.streams_by_complexity.items(), reverse=True)) or "-"
    causes = ", ".join(f"{k} {v}" for k, v in r.by_cause.items()) or "none"
    return (
        f"| {'on' if r.policy else 'off'} | {r.players} | {share:.3f} % ({r.lost} of {r.due}) | {causes} "
        f"| {r.encoder} ({r.steps_down} down, {r.steps_up} up) | {levels} | {r.cpu_cores:.2f} "
        f"| {r.other_cores:.2f} | {loadavg().split()[0]} |"
    )


HEADER = (
    "| policy | players | frames lost | lost by cause | encoder at the end (steps) | streams per complexity "
    "| node CPU (cores) | other processes (cores) | load (1 min) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=40.0, help="measured seconds per run, after warm-up")
    parser.add_argument("--factor", type=float, default=2.0, help="players as a multiple of complexity-10 capacity")
    parser.add_argument("--players", type=int, default=0, help="players per run (overrides --factor)")
    parser.add_argument("--probe", type=int, default=16, help="players of the capacity probe")
    parser.add_argument("--rounds", type=int, default=1, help="off/on pairs")
    args = parser.parse_args()
    print(f"load before: {loadavg()}; cores: {psutil.cpu_count()}")
    costs = {c: opus_us_per_frame(c) for c in range(10, -1, -1)}
    print(
        "libopus alone, CPU µs per 20 ms stereo frame at 128 kb/s: "
        + ", ".join(f"complexity {c}: {us:.0f} ({us / costs[10]:.2f}x)" for c, us in costs.items())
    )
    steps = ladder_costs()
    print(
        "the default ladder, libopus alone: "
        + ", ".join(f"{level.describe()}: {us:.0f} µs ({us / steps[0][1]:.2f}x)" for level, us in steps)
    )
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, WARMUP_S + args.seconds + 15)
        probe = await run(mp3, args.probe, 10.0, policy=False)
        per_stream = probe.cpu_cores / args.probe
        cores = max(0.1, (psutil.cpu_count() or 2) - probe.other_cores)
        capacity = cores / per_stream
        print(
            f"capacity probe ({args.probe} MP3 -> Opus players, complexity 10, policy off): "
            f"{100 * per_stream:.2f} % of a core per stream; this process got {cores:.2f} cores "
            f"(others used {probe.other_cores:.2f}) -> ~{capacity:.0f} streams at complexity 10"
        )
        players = args.players or round(args.factor * capacity)
        print(f"runs: {players} players, {args.seconds:.0f} s measured after {WARMUP_S:.0f} s\n")
        print(HEADER, flush=True)
        for _ in range(args.rounds):
            for policy in (False, True):
                print(report(await run(mp3, players, args.seconds, policy)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
