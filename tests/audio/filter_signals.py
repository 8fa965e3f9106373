"""Real decoded audio for the filter measurements: write a signal to a file, decode it back, run a filter on it.

The signals go through a real codec and FFmpeg's decoder and resampler (WAV at 44.1 kHz, so the 48 kHz resampling
the pipeline does is in the path too), then through the chain exactly as a stream runs it: `FilterPlan.open()`
fed in 100 ms blocks, the way the pipeline hands over a batch of 20 ms frames.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.filter
import numpy as np
import numpy.typing as npt

from lavalink_py.audio.filters.base import FilterSpec, Pcm
from lavalink_py.audio.filters.chain import FilterPlan
from tests.media import write_audio

RATE = 48_000
BLOCK = 4800
FILE_RATE = 44_100


def tone(hz: float, seconds: float, amplitude: float, rate: int = FILE_RATE) -> npt.NDArray[np.float32]:
    t = np.arange(round(seconds * rate)) / rate
    mono = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([mono, mono])


def noise(seconds: float, rms: float, seed: int = 1, rate: int = FILE_RATE) -> npt.NDArray[np.float32]:
    """Stereo white noise with the given RMS, peaks kept under full scale."""
    rng = np.random.default_rng(seed)
    out = np.clip(rng.standard_normal((2, round(seconds * rate))) * rms, -0.99, 0.99)
    return out.astype(np.float32)


def decoded(path: Path, samples: npt.NDArray[np.float32]) -> Pcm:
    """`samples` (2, n) written to `path` and decoded back as 48 kHz stereo float32, shaped (n, 2)."""
    write_audio(path, samples=samples, rate=FILE_RATE)
    resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE)
    chunks: list[Pcm] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(np.asarray(out.to_ndarray(), np.float32).reshape(-1, 2))
    for out in resampler.resample(None):
        chunks.append(np.asarray(out.to_ndarray(), np.float32).reshape(-1, 2))
    return np.concatenate(chunks).astype(np.float32)


def run_filter(spec: FilterSpec[Any], value: Any, pcm: Pcm) -> Pcm:
    """The filter `spec` parsed from its JSON `value`, run over `pcm` as one stream."""
    plan = FilterPlan((spec.stage(spec.parse(value, f"filters.{spec.name}")),))
    processor = plan.open()
    out = [processor.process(pcm[start : start + BLOCK].copy()) for start in range(0, len(pcm), BLOCK)]
    out.append(processor.flush())
    return np.concatenate(out)


def rms_db(x: npt.NDArray[Any]) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def ebur128(pcm: Pcm) -> dict[str, float]:
    """FFmpeg's own EBU R128 meter over `pcm`: the last frame's M, S, I (LUFS) and LRA."""
    graph = av.filter.Graph()
    src = graph.add_abuffer(format="flt", sample_rate=RATE, layout="stereo", time_base=Fraction(1, RATE))
    meter = graph.add("ebur128", "metadata=1")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    last: dict[str, float] = {}
    for start in range(0, len(pcm), BLOCK):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(pcm[start : start + BLOCK]).reshape(1, -1), format="flt", layout="stereo"
        )
        frame.sample_rate = RATE
        frame.time_base = Fraction(1, RATE)
        frame.pts = start
        graph.push(frame)
        while True:
            try:
                got = graph.pull()
            except (BlockingIOError, EOFError):
                break
            last = {key.rsplit(".", 1)[-1]: float(value) for key, value in got.metadata.items()}
    return last


def envelope_rate_hz(pcm: Pcm, skip_s: float = 1.0, low_hz: float = 0.05, high_hz: float = 20.0) -> float:
    """The strongest frequency of the signal's 10 ms RMS envelope (a tremolo-like modulation's rate)."""
    hop = RATE // 100
    mono = pcm[round(skip_s * RATE) :, 0].astype(np.float64)
    mono = mono[: len(mono) // hop * hop]
    env = np.sqrt(np.mean(mono.reshape(-1, hop) ** 2, axis=1))
    env -= env.mean()
    spectrum = np.abs(np.fft.rfft(env * np.hanning(len(env)), n=len(env) * 8))
    freqs = np.fft.rfftfreq(len(env) * 8, 1 / 100)
    band = (freqs > low_hz) & (freqs < high_hz)
    return float(freqs[band][np.argmax(spectrum[band])])
