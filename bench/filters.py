"""Filter benchmark: CPU per stream with each filter chain, as a ratio to the unfiltered transcode in the same run;
and what a listener gets when filters change mid-track (latency on the real clock, artefacts at the switch).

    python -m bench.filters --seconds 20 --repeats 3

CPU: each configuration decodes, filters and Opus-encodes the same MP3 (44.1 kHz, 128 kbit/s) in one thread,
straight through `TrackStream.fill` (no clock, no sleeping), measured with the thread's CPU clock; CPU % of a core
per real-time stream = CPU seconds / seconds of audio produced (with timescale, one second sent uses speed x rate
seconds of the source). Configurations are interleaved and repeated; the medians are
reported. The ratio is to "none" (the plain transcode) of the same run.

Switch: a 440 Hz tone (48 kHz MP3) plays on the real frame clock into a recording sink; after 2 s the filters
change (volume 1.0 -> 0.5). Latency = from `set_filters` to the send time of the first frame whose level shows the
new filter. Artefact = energy above 2 kHz (a pure 440 Hz tone has none, so it is codec noise or a click) in the
60 ms around the switch, relative to the median of the steady windows, for the node's restart-and-hand-over
and, as the in-place reference, the same gain step applied to the PCM inside one continuous Opus stream.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import psutil
from scipy.signal import butter, sosfilt

from bench.audio import write_sweep
from lavalink_py.audio import AudioEngine, EngineSettings
from lavalink_py.audio.filters import default_registry
from lavalink_py.audio.filters.base import FfmpegStage
from lavalink_py.audio.filters.chain import FilterPlan
from lavalink_py.audio.pipeline import TrackStream
from lavalink_py.protocol.filters import parse_filters
from lavalink_py.sources.base import StreamSpec

RATE = 48_000
EQ_BANDS = [{"band": band, "gain": gain} for band, gain in enumerate([0.25, 0.2, 0.15, 0.1, 0.05] + [0.02] * 10)]
CONFIGS: dict[str, dict[str, Any]] = {
    "none": {},
    "equalizer (15 bands)": {"equalizer": EQ_BANDS},
    "equalizer (bass boost, 3 bands)": {"equalizer": EQ_BANDS[:3]},
    "timescale (speed 1.2, pitch 1.1)": {"timescale": {"speed": 1.2, "pitch": 1.1}},
    "equalizer + timescale": {"equalizer": EQ_BANDS, "timescale": {"speed": 1.2, "pitch": 1.1}},
}


Filters = dict[str, Any] | FilterPlan  # Lavalink JSON, or a plan built here (a reference no filter exposes)


def plan_of(filters: Filters) -> FilterPlan | None:
    if isinstance(filters, FilterPlan):
        return filters
    registry = default_registry()
    return registry.plan(parse_filters(filters, registry))


def cpu_per_stream_percent(path: Path, filters: Filters) -> float:
    stream = TrackStream(
        StreamSpec(str(path)), start_ms=0, end_ms=None, settings=EngineSettings(), volume=100, filters=plan_of(filters)
    )
    cpu0 = time.thread_time()
    frames = 0
    while not stream.ended:
        stream.fill(50)
        frames += len(stream.buffer)
        stream.buffer.clear()
    assert stream.outcome is not None and stream.outcome.failure is None, stream.outcome
    # Per second of audio sent (a real-time stream): at speed 1.2 that second consumed 1.2 s of the source.
    return 100 * (time.thread_time() - cpu0) / (frames * 0.020)


def cpu_table(seconds: float, repeats: int, extra: dict[str, Filters]) -> str:
    configs: dict[str, Filters] = {**CONFIGS, **extra}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_sweep(Path(tmp) / "sweep.mp3", "libmp3lame", 44_100, seconds)
        runs: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(repeats):
            for name, filters in configs.items():
                runs[name].append(cpu_per_stream_percent(path, filters))
    base = statistics.median(runs["none"])
    lines = ["| filters | CPU % of a core per stream (median) | min / max | ratio to none |"]
    lines.append("| --- | --- | --- | --- |")
    for name, values in runs.items():
        median = statistics.median(values)
        lines.append(f"| {name} | {median:.3f} | {min(values):.3f} / {max(values):.3f} | {median / base:.2f}x |")
    return "\n".join(lines)


def write_tone(path: Path, seconds: float) -> Path:
    """A 440 Hz tone as MP3 at 48 kHz (opening a WAV costs FFmpeg ~30 ms of probing; MP3, like most sources, <1 ms)."""
    mono = (0.3 * np.sin(2 * np.pi * 440.0 * np.arange(round(seconds * RATE)) / RATE)).astype(np.float32)
    planar = np.stack([mono, mono])
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libmp3lame", rate=RATE, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        stream.bit_rate = 192_000
        for i in range(0, planar.shape[1], 1152):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(planar[:, i : i + 1152]), "fltp", "stereo")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


class TimedSink:
    ready = True  # stands for a voice connection that is up

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.times: list[float] = []

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.times.append(time.perf_counter())

    def send_silence(self) -> None:
        pass


def decode(frames: list[bytes]) -> npt.NDArray[np.float64]:
    ctx = av.CodecContext.create("libopus", "r")
    ctx.sample_rate, ctx.layout = RATE, "stereo"
    out = []
    for data in frames:
        for frame in ctx.decode(av.Packet(data)):
            arr = frame.to_ndarray()
            arr = arr.T if frame.format.is_planar else arr.reshape(-1, 2)
            out.append(arr[:, 0].astype(np.float64) / (32768 if arr.dtype == np.int16 else 1))
    pcm: npt.NDArray[np.float64] = np.concatenate(out)
    return pcm


def frame_levels(pcm: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    n = len(pcm) // 960
    levels: npt.NDArray[np.float64] = np.sqrt(2 * np.mean(pcm[: n * 960].reshape(n, 960) ** 2, axis=1))
    return levels


def artefact_db(pcm: npt.NDArray[np.float64], switch_frame: int) -> float:
    """HF energy in the 3 frames around the switch over the median of steady 3-frame windows, in dB."""
    hf = sosfilt(butter(8, 2000, "highpass", fs=RATE, output="sos"), pcm)
    n = len(hf) // 960
    energy = np.sum(hf[: n * 960].reshape(n, 960) ** 2, axis=1)
    around = float(np.max([np.sum(energy[i - 1 : i + 2]) for i in range(switch_frame - 2, switch_frame + 3)]))
    steady = [np.sum(energy[i : i + 3]) for i in range(10, n - 10) if abs(i - switch_frame) > 10]
    return float(10 * np.log10(around / max(float(np.median(steady)), 1e-20)))


async def switch_once(path: Path) -> tuple[float, float]:
    engine = AudioEngine(EngineSettings())
    engine.start()
    playback = engine.create_playback(None)
    sink = TimedSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(path)))
    await asyncio.sleep(2.0)
    set_at = time.perf_counter()
    playback.set_filters(plan_of({"volume": 0.5}))
    await asyncio.sleep(1.5)
    await engine.close()
    levels = frame_levels(decode(sink.frames))
    first = next(i for i, level in enumerate(levels) if i > 10 and level < 0.2)
    # The decoder's output lags its input by the codec's lookahead (< 1 frame); the frame index is the sent one.
    latency_ms = (sink.times[first] - set_at) * 1000
    return latency_ms, artefact_db(decode(sink.frames), first)


def in_place_reference_db() -> float:
    """The same gain step applied inside one continuous Opus stream (no restart): the floor for a clean switch."""
    mono = 0.3 * np.sin(2 * np.pi * 440.0 * np.arange(3 * RATE) / RATE)
    switch = 100 * 960
    mono[switch:] *= np.tan(0.5 * 0.79)
    pcm = np.rint(np.stack([mono, mono], axis=1) * 32767).astype(np.int16)
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format, enc.bit_rate = RATE, "stereo", "s16", 128_000
    enc.time_base = Fraction(1, RATE)
    enc.options = {"compression_level": "10", "frame_duration": "20", "application": "audio"}
    frames: list[bytes] = []
    for i in range(0, len(pcm), 960):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm[i : i + 960]).reshape(1, -1), "s16", "stereo")
        frame.sample_rate, frame.pts = RATE, i
        frames.extend(bytes(p) for p in enc.encode(frame))
    return artefact_db(decode(frames), 100)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--switches", type=int, default=5)
    args = parser.parse_args()
    registry = default_registry()
    extra: dict[str, Filters] = {}
    if "compressor" in registry.names():  # h/filters-extra
        extra["compressor"] = {"compressor": {}}
        extra["loudness"] = {"loudness": {}}
        # What loudness replaces: FFmpeg's single-pass loudnorm (3 s lookahead, 192 kHz inside).
        extra["(reference) FFmpeg loudnorm"] = FilterPlan((FfmpegStage((("loudnorm", "I=-16:TP=-1:LRA=11"),)),))
        extra["equalizer + timescale + compressor"] = {**CONFIGS["equalizer + timescale"], "compressor": {}}
        extra["equalizer + timescale + compressor + loudness"] = {
            **CONFIGS["equalizer + timescale"],
            "compressor": {},
            "loudness": {},
        }
    load = psutil.getloadavg()
    print(f"machine: {psutil.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print(cpu_table(args.seconds, args.repeats, extra))
    with tempfile.TemporaryDirectory() as tmp:
        tone = write_tone(Path(tmp) / "tone.mp3", 6.0)
        results = [await switch_once(tone) for _ in range(args.switches)]
    latencies = sorted(r[0] for r in results)
    artefacts = sorted(r[1] for r in results)
    print(f"switch latency ms: median {statistics.median(latencies):.1f}, max {latencies[-1]:.1f}")
    print(
        "switch artefact dB (HF energy at the switch vs steady): restart-and-hand-over median "
        f"{statistics.median(artefacts):.1f}, max {artefacts[-1]:.1f}; in place {in_place_reference_db():.1f}"
    )
    load = psutil.getloadavg()
    print(f"load average after: {load[0]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
