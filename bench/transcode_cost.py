"""CPU per transcoded stream, one thread, no frame clock: the node's pipeline beside its floors, same file, same run.

- pipeline: `TrackStream.fill` in batches as the engine's pool runs it (decode -> aresample -> libopus via ctypes,
  the node's own frame buffer and bookkeeping), default settings (volume 100, no filter, complexity 10).
- floor: the tightest loop with the same libraries: PyAV decode -> a PyAV graph with the pipeline's `aresample`
  arguments cutting exact 960-sample frames (`asetnsamples`) -> `opus_encode` straight from the frame's buffer.
- ffmpeg CLI: `ffmpeg -threads 1` on the same file to libopus at the same complexity and bitrate, to a null muxer;
  its CPU is the child's user + system time.

Each figure is CPU seconds / seconds of audio, in % of one core; rounds alternate the three and report medians, so
load from other processes on the machine hits them alike.

`ceiling`: what the pipeline alone can make with every core busy, the upper bound of any transcoding capacity on
this machine: `TrackStream.fill` in one thread per core at once (as the engine's pool runs it, 50-frame batches,
one stream per thread), frames per wall second, at complexity 10 and at the overload ladder's last step,
alternating; no frame clock, no voice. Per-stream CPU from one thread does not scale to every core: the cores
share the hardware and the threads share the GIL.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import resource
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.filter

from lavalink_py.audio import libopus
from lavalink_py.audio.frames import FRAME_SAMPLES, SAMPLE_RATE
from lavalink_py.audio.overload import ComplexityDial, EncoderLevel
from lavalink_py.audio.pcm import RESAMPLE_ARGS
from lavalink_py.audio.pipeline import TrackStream
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.sources.base import StreamSpec


def floor_cpu_percent(path: Path, settings: EngineSettings) -> float:
    lib = libopus.LIB
    assert lib is not None, "libopus not found"
    encoder = libopus.CtypesOpusEncoder(lib, settings.opus_quality, settings.opus_bitrate)
    out = ctypes.create_string_buffer(libopus.MAX_PACKET)
    handle, encode = encoder._handle, lib.opus_encode
    cpu0 = time.thread_time()
    with av.open(str(path)) as container:
        duration_s = float(container.duration or 0) / 1_000_000
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        graph = av.filter.Graph()
        src = graph.add_abuffer(
            format=ctx.format.name,
            sample_rate=ctx.sample_rate,
            layout=ctx.layout.name,
            time_base=Fraction(1, ctx.sample_rate),
        )
        chain = [
            graph.add("aresample", f"{SAMPLE_RATE}:{RESAMPLE_ARGS[settings.resampling]}"),
            graph.add("aformat", f"sample_fmts=s16:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"),
            graph.add("asetnsamples", f"n={FRAME_SAMPLES}:p=0"),
            graph.add("abuffersink"),
        ]
        src.link_to(chain[0])
        for a, b in itertools.pairwise(chain):
            a.link_to(b)
        graph.configure()
        for frame in container.decode(stream):
            frame.pts = None
            graph.push(frame)
            while True:
                try:
                    got = graph.pull()
                except (BlockingIOError, EOFError):
                    break
                assert isinstance(got, av.AudioFrame)
                encode(handle, got.planes[0].buffer_ptr, FRAME_SAMPLES, out, libopus.MAX_PACKET)
    return 100 * (time.thread_time() - cpu0) / duration_s


def pipeline_cpu_percent(path: Path, settings: EngineSettings) -> float:
    stream = TrackStream(StreamSpec(str(path)), start_ms=0, end_ms=None, settings=settings, volume=100, filters=None)
    frames = 0
    cpu0 = time.thread_time()
    while not stream.ended:
        stream.fill(settings.batch_frames)
        frames += len(stream.buffer)
        stream.buffer.clear()
    cpu = time.thread_time() - cpu0
    assert stream.outcome is not None and stream.outcome.failure is None, stream.outcome
    return 100 * cpu / (frames * FRAME_SAMPLES / SAMPLE_RATE)


def ffmpeg_command(path: Path, settings: EngineSettings) -> list[str] | None:
    exe = shutil.which("ffmpeg")
    if exe is None:
        return None
    return [
        exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-i", str(path),
        "-af", f"aresample={SAMPLE_RATE}:{RESAMPLE_ARGS[settings.resampling]}", "-ac", "2",
        "-c:a", "libopus", "-compression_level", str(settings.opus_quality), "-b:a", str(settings.opus_bitrate),
        "-frame_duration", "20", "-application", "audio", "-f", "null", os.devnull,
    ]  # fmt: skip


def ffmpeg_cpu_percent(path: Path, settings: EngineSettings, duration_s: float) -> float | None:
    command = ffmpeg_command(path, settings)
    if command is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return 100 * cpu / duration_s


@dataclass
class TranscodeCost:
    pipeline: float
    floor: float
    ffmpeg: float | None
    rounds: int

    def lines(self) -> list[str]:
        ff = "ffmpeg CLI not installed" if self.ffmpeg is None else f"{self.ffmpeg:.3f} %"
        ff_ratio = "" if self.ffmpeg is None else f", {self.pipeline / self.ffmpeg:.2f}x the ffmpeg CLI"
        return [
            f"per transcoded stream, one thread, no clock (median of {self.rounds} alternating rounds):",
            f"  pipeline (TrackStream.fill): {self.pipeline:.3f} % of a core = {self.pipeline / self.floor:.2f}x "
            f"the floor{ff_ratio}",
            f"  floor (PyAV decode -> same aresample, 960-sample frames -> libopus): {self.floor:.3f} %",
            f"  ffmpeg CLI (-threads 1, same aresample and libopus settings): {ff}",
        ]

    def capacity_line(self, cores: int = 2) -> str:
        """An estimate, not a run: idle cores divided by the pipeline's per-stream CPU (the machine is shared)."""
        return (
            f"estimate: {cores} idle cores carry ~{int(cores * 100 / self.pipeline)} transcoding streams at this "
            f"per-stream CPU ({cores} x 100 % / {self.pipeline:.3f} %), before the frame clock's and voice's share"
        )


def measure(path: Path, settings: EngineSettings, rounds: int) -> TranscodeCost:
    with av.open(str(path)) as container:
        duration_s = float(container.duration or 0) / 1_000_000
    pipeline: list[float] = []
    floor: list[float] = []
    ffmpeg: list[float] = []
    for _ in range(rounds):
        floor.append(floor_cpu_percent(path, settings))
        pipeline.append(pipeline_cpu_percent(path, settings))
        ff = ffmpeg_cpu_percent(path, settings, duration_s)
        if ff is not None:
            ffmpeg.append(ff)
    return TranscodeCost(
        pipeline=statistics.median(pipeline),
        floor=statistics.median(floor),
        ffmpeg=statistics.median(ffmpeg) if ffmpeg else None,
        rounds=rounds,
    )


def pool_frames_per_s(path: Path, level: EncoderLevel, threads: int, frames: int = 1500) -> float:
    """Frames per wall second `threads` threads make at once, each filling its own stream at `level`."""
    settings = EngineSettings()
    made = [0] * threads

    def fill(index: int) -> None:
        while made[index] < frames:
            dial = ComplexityDial(level.complexity, level.bitrate)
            dial.level = level
            stream = TrackStream(
                StreamSpec(str(path)), start_ms=0, end_ms=None, settings=settings, volume=100, filters=None, dial=dial
            )
            while not stream.ended and made[index] < frames:
                stream.fill(settings.batch_frames)
                made[index] += len(stream.buffer)
                stream.buffer.clear()
            stream.close()

    workers = [threading.Thread(target=fill, args=(i,)) for i in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(made) / (time.perf_counter() - began)


@dataclass
class Ceiling:
    threads: int
    top: float  # frames per second at complexity 10, every thread at once
    bottom: float  # at the ladder's last step
    bottom_level: EncoderLevel
    rounds: int

    @property
    def streams(self) -> int:
        """Real-time streams the frames per second at complexity 10 would feed (50 frames a second each)."""
        return int(self.top / 50)

    @property
    def ladder_gain(self) -> float:
        return self.bottom / self.top


def ceiling(path: Path, bottom: EncoderLevel, rounds: int, threads: int | None = None) -> Ceiling:
    threads = threads or os.cpu_count() or 2
    defaults = EngineSettings()
    top_level = EncoderLevel(defaults.opus_quality, defaults.opus_bitrate)
    top: list[float] = []
    low: list[float] = []
    for _ in range(rounds):  # alternating, so the machine's drift hits both alike
        top.append(pool_frames_per_s(path, top_level, threads))
        low.append(pool_frames_per_s(path, bottom, threads))
    return Ceiling(threads, statistics.median(top), statistics.median(low), bottom, rounds)
