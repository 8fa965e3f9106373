"""Generated test media and the analysis used to compare what a sink received with the source."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

Audio = npt.NDArray[np.float64]

RATE_OUT = 48_000
F0_HZ = 200.0
SLOPE_HZ_PER_S = 700.0  # a linear chirp: every 20 ms window is unique, so correlation finds positions
AMPLITUDE = 0.4
SWEEP_SECONDS = 3.0  # every generated file holds this much sweep


def sweep(seconds: float, rate: int, offset_s: float = 0.0) -> Audio:
    """Mono tone sweep starting at `offset_s` into the sweep."""
    t = offset_s + np.arange(round(seconds * rate)) / rate
    phase = 2 * np.pi * (F0_HZ * t + SLOPE_HZ_PER_S * t * t / 2)
    return AMPLITUDE * np.sin(phase)


def write_media(path: Path, codec: str, rate: int, seconds: float, fmt: str | None = None) -> Path:
    mono = sweep(seconds, rate)
    planar = np.stack([mono, mono * 0.8]).astype(np.float32)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        if codec in ("libmp3lame", "aac", "vorbis"):
            stream.bit_rate = 256_000  # the source's own loss must not eat the 25 dB budget
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}  # FFmpeg's own Vorbis encoder
        fmt_name = stream.codec_context.format.name
        step = 960 if codec == "libopus" else 1024
        for i in range(0, planar.shape[1], step):
            block = planar[:, i : i + step]
            if fmt_name in ("s16", "s16p"):
                data = (block * 32767).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(
                    np.ascontiguousarray(data.T.reshape(1, -1) if fmt_name == "s16" else data),
                    format=fmt_name,
                    layout="stereo",
                )
            else:
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block), format="fltp", layout="stereo")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def opus_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]


def decode_opus(frames: list[bytes]) -> npt.NDArray[np.float64]:
    """Decode frames as Discord would; returns (samples, 2) floats in [-1, 1]."""
    ctx = av.CodecContext.create("libopus", "r")
    ctx.sample_rate = RATE_OUT
    ctx.layout = "stereo"
    chunks: list[npt.NDArray[np.float64]] = []
    for data in frames:
        for frame in ctx.decode(av.Packet(data)):
            arr = frame.to_ndarray()
            arr = arr.T if frame.format.is_planar else arr.reshape(-1, 2)
            if arr.dtype == np.int16:
                chunks.append(arr.astype(np.float64) / 32768)
            else:
                chunks.append(arr.astype(np.float64))
    return np.concatenate(chunks) if chunks else np.zeros((0, 2))


def best_lag(signal: Audio, reference: Audio) -> int:
    """Lag (in samples) at which `signal` best matches `reference`: signal[i] ~ reference[i - lag]."""
    n = 1 << int(np.ceil(np.log2(len(signal) + len(reference))))
    corr = np.fft.irfft(np.fft.rfft(signal, n) * np.conj(np.fft.rfft(reference, n)), n)
    lag = int(np.argmax(corr))
    return lag if lag < n // 2 else lag - n


def sweep_snr_db(signal: Audio, gain: float = 1.0, start_s: float = 0.0) -> float:
    """SNR of a received mono channel against the sweep from `start_s`, aligned to a fraction of a sample.

    Codec delays are not whole samples at 48 kHz (AAC priming is 1024 samples at 44.1 kHz), and a 0.4-sample
    error alone costs ~20 dB at 2 kHz, so the analytic sweep is re-evaluated at the refined offset.
    """
    seconds = len(signal) / RATE_OUT
    coarse = best_lag(signal, gain * sweep(seconds, RATE_OUT, start_s))
    best = -np.inf
    for frac in np.linspace(-1.0, 1.0, 41):
        delay = coarse + frac
        n = len(signal) - max(0, coarse + 1)
        ref = gain * sweep(n / RATE_OUT, RATE_OUT, start_s - delay / RATE_OUT)
        sig = signal[:n]
        # Compare only where the sweep is defined (after the codec delay, before the end).
        lo, hi = max(0, coarse + 1), min(n, round(RATE_OUT * (SWEEP_SECONDS - start_s)) + coarse - 1)
        noise = sig[lo:hi] - ref[lo:hi]
        best = max(best, float(10 * np.log10(np.sum(ref[lo:hi] ** 2) / max(np.sum(noise**2), 1e-20))))
    return best


def locate_s(segment: Audio, gain: float = 1.0) -> float:
    """Where in the sweep (seconds) `segment` starts, by correlation with the whole sweep."""
    reference = gain * sweep(SWEEP_SECONDS, RATE_OUT)
    n = 1 << int(np.ceil(np.log2(len(segment) + len(reference))))
    corr = np.fft.irfft(np.fft.rfft(reference, n) * np.conj(np.fft.rfft(segment, n)), n)
    return float(np.argmax(corr[: len(reference)])) / RATE_OUT


def rms(x: Audio) -> float:
    return float(np.sqrt(np.mean(x**2)))
