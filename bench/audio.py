"""Audio engine benchmark: N playbacks on the real frame clock, each into a CountingSink.

    python -m bench.audio --players 50,100,200 --passthrough 500,1000,2000 --seconds 20

Per N it reports CPU % of one core per player (split into the decode/encode pool's threads and the event loop's),
late or missing frames, p50/p99 tick lateness, RSS per player and time from play to first frame. First, in the same
run, the cost of one transcoded stream without the engine around it (`bench/transcode_cost.py`): the node's
pipeline, the floor (PyAV decode -> the same resampler -> libopus, nothing else) and the ffmpeg CLI, with ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import psutil

from bench import transcode_cost
from lavalink_py.audio import AudioEngine, CountingSink, EngineSettings, Playback
from lavalink_py.audio.results import EndReason, StreamFailure
from lavalink_py.sources.base import StreamSpec

WARMUP_S = 3.0


def write_sweep(path: Path, codec: str, rate: int, seconds: float) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.4 * np.sin(2 * np.pi * (200 * t + 40 * t * t))
    planar = np.stack([mono, 0.8 * mono]).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=rate, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        stream.bit_rate = 128_000
        step = 960 if codec == "libopus" else 1152
        for i in range(0, planar.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, i : i + step]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


class FirstFrame:
    def __init__(self) -> None:
        self.started_at = 0.0
        self.first_frame_s: float | None = None
        self.failures: list[StreamFailure] = []
        self.started = asyncio.Event()

    def on_track_start(self) -> None:
        self.first_frame_s = time.perf_counter() - self.started_at
        self.started.set()

    def on_track_end(self, reason: EndReason) -> None:
        pass

    def on_track_exception(self, failure: StreamFailure) -> None:
        self.failures.append(failure)

    def on_track_stuck(self, threshold_ms: int) -> None:
        pass


@dataclass
class Result:
    workload: str
    players: int
    cpu_per_player: float
    # CPU per second of audio actually delivered: the cost of one real-time stream, even when the machine
    # is too busy (other processes) to keep every player fed.
    cpu_per_stream_s: float
    missing_ratio: float
    nulled: int
    late_ticks: int
    p50_ms: float
    p99_ms: float
    rss_per_player_mb: float
    first_frame_ramp_ms: tuple[float, float]
    first_frame_busy_ms: float
    other_cores: float  # CPU used by other processes on the machine meanwhile, in cores
    # Of cpu_per_stream_s: the decode/encode pool's threads and the event loop's thread (frame clock, sinks).
    pool_per_stream_s: float
    loop_per_stream_s: float


def _machine_busy_s() -> float:
    times = psutil.cpu_times()
    return float(times.user + times.system + times.nice + getattr(times, "irq", 0) + getattr(times, "softirq", 0))


def _thread_cpu_s() -> tuple[float, float]:
    """CPU seconds of the audio-cpu pool's threads and of the main (event loop) thread."""
    pool_ids = {t.native_id for t in threading.enumerate() if t.name.startswith("audio-cpu")}
    main_id = threading.main_thread().native_id
    pool = loop = 0.0
    for t in psutil.Process().threads():
        if t.id in pool_ids:
            pool += t.user_time + t.system_time
        elif t.id == main_id:
            loop += t.user_time + t.system_time
    return pool, loop


def start(engine: AudioEngine, path: Path) -> tuple[Playback, FirstFrame]:
    listener = FirstFrame()
    playback = engine.create_playback(listener)
    playback.attach(CountingSink())
    listener.started_at = time.perf_counter()
    playback.start(StreamSpec(str(path)))
    return playback, listener


async def run(workload: str, path: Path, players: int, seconds: float) -> Result:
    gc.collect()
    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    engine = AudioEngine(EngineSettings())
    engine.start()
    started = [start(engine, path) for _ in range(players)]
    await asyncio.sleep(WARMUP_S)
    clock = engine.clock
    clock.lateness_us.clear()
    nulled0, late0, ticks0, sent0 = clock.nulled, clock.late_ticks, clock.ticks, clock.sent
    cpu0, wall0 = time.process_time(), time.perf_counter()
    pool0, loop0 = _thread_cpu_s()
    busy0 = _machine_busy_s()
    await asyncio.sleep(seconds / 2)
    busy = start(engine, path)  # one more play on a loaded node: the latency a user sees
    await asyncio.sleep(seconds / 2)
    cpu = time.process_time() - cpu0
    pool1, loop1 = _thread_cpu_s()
    wall = time.perf_counter() - wall0
    others = max(0.0, _machine_busy_s() - busy0 - cpu) / wall
    rss = proc.memory_info().rss
    ticks = clock.ticks - ticks0
    late = clock.late_ticks - late0
    nulled = clock.nulled - nulled0
    sent = clock.sent - sent0
    lat = sorted(clock.lateness_us)
    firsts = [1000 * (ff.first_frame_s or float("inf")) for _, ff in started]
    failures = sum(len(ff.failures) for _, ff in started)
    await engine.close()
    if failures:
        print(f"  !! {failures} playbacks failed")
    expected = players * (ticks + late)
    return Result(
        workload=workload,
        players=players,
        cpu_per_player=100 * cpu / wall / players,
        cpu_per_stream_s=100 * cpu / max(1e-9, sent * 0.02),
        missing_ratio=(nulled + late * players) / max(1, expected),
        nulled=nulled,
        late_ticks=late,
        p50_ms=lat[len(lat) // 2] / 1000 if lat else 0.0,
        p99_ms=lat[int(len(lat) * 0.99)] / 1000 if lat else 0.0,
        rss_per_player_mb=(rss - rss0) / players / 2**20,
        first_frame_ramp_ms=(statistics.median(firsts), max(firsts)),
        first_frame_busy_ms=1000 * (busy[1].first_frame_s or float("inf")),
        other_cores=others,
        pool_per_stream_s=100 * (pool1 - pool0) / max(1e-9, sent * 0.02),
        loop_per_stream_s=100 * (loop1 - loop0) / max(1e-9, sent * 0.02),
    )


def report(r: Result, floor: float | None) -> str:
    ratio = f"{r.cpu_per_stream_s / floor:.2f}x" if floor else "-"
    return (
        f"| {r.workload} | {r.players} | {r.cpu_per_player:.3f} | {r.cpu_per_stream_s:.3f} | {ratio} "
        f"| {r.pool_per_stream_s:.3f} / {r.loop_per_stream_s:.3f} "
        f"| {100 * r.missing_ratio:.3f} % "
        f"({r.nulled} nulled, {r.late_ticks} late ticks) | {r.p50_ms:.2f} / {r.p99_ms:.2f} | "
        f"{r.rss_per_player_mb:.2f} | {r.first_frame_busy_ms:.1f} | "
        f"{r.first_frame_ramp_ms[0]:.0f} / {r.first_frame_ramp_ms[1]:.0f} | {r.other_cores:.2f} |"
    )


HEADER = (
    "| workload | players | CPU % of a core per player | CPU % per real-time stream delivered | vs floor "
    "| of which pool / loop thread | late or missing frames "
    "| tick lateness p50 / p99 ms | RSS MiB per player | first frame on loaded node ms "
    "| first frame during ramp p50 / max ms | other processes (cores) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


async def idle_first_frame_ms(path: Path, plays: int = 10) -> list[float]:
    """Play -> first frame handed to the sink on an otherwise idle engine (includes waiting for the tick)."""
    engine = AudioEngine(EngineSettings())
    engine.start()
    out: list[float] = []
    for _ in range(plays):
        playback, listener = start(engine, path)
        await asyncio.wait_for(listener.started.wait(), timeout=5)
        out.append(1000 * (listener.first_frame_s or 0.0))
        engine.remove_playback(playback)
    await engine.close()
    return sorted(out)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", default="50,100,200", help="transcoding player counts")
    parser.add_argument("--passthrough", default="500,1000,2000", help="passthrough player counts")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--floor-rounds", type=int, default=5, help="alternating rounds of pipeline/floor/ffmpeg")
    args = parser.parse_args()
    length_s = WARMUP_S + args.seconds + 10
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, length_s)
        ogg = write_sweep(Path(tmp) / "bench.ogg", "libopus", 48_000, length_s)
        cost = transcode_cost.measure(mp3, EngineSettings(), args.floor_rounds)
        print(*cost.lines(), sep="\n")
        floor = cost.floor
        print(f"{cost.capacity_line()}\n")
        for label, path in (("MP3", mp3), ("Ogg Opus", ogg)):
            firsts = await idle_first_frame_ms(path)
            print(
                f"first frame, local {label}, idle engine: "
                f"median {firsts[len(firsts) // 2]:.1f} ms, max {firsts[-1]:.1f} ms"
            )
        print(f"cores: {psutil.cpu_count()}, measured {args.seconds:.0f} s per run after {WARMUP_S:.0f} s warm-up\n")
        print(HEADER, flush=True)
        for n in (int(x) for x in args.players.split(",") if x):
            print(report(await run("MP3 44.1k -> Opus", mp3, n, args.seconds), floor), flush=True)
        for n in (int(x) for x in args.passthrough.split(",") if x):
            print(report(await run("Opus 48k passthrough", ogg, n, args.seconds), None), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
