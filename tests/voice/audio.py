"""Test audio: a generated sweep encoded to 20 ms Opus frames with PyAV's libopus, and an SNR measure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import av
import numpy as np
import numpy.typing as npt

RATE = 48000
FRAME_SAMPLES = 960


def sweep(seconds: float, start_hz: float = 200.0, end_hz: float = 3000.0) -> npt.NDArray[np.float32]:
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * (start_hz * t + (end_hz - start_hz) * t**2 / (2 * seconds))
    return (0.5 * np.sin(phase)).astype(np.float32)


def encode_opus(mono: npt.NDArray[np.float32]) -> list[bytes]:
    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate = RATE
    encoder.layout = "stereo"
    encoder.format = "s16"
    encoder.bit_rate = 128000
    pcm = (np.clip(mono, -1, 1) * 32767).astype(np.int16)
    packets: list[bytes] = []
    for index in range(len(pcm) // FRAME_SAMPLES):
        chunk = pcm[index * FRAME_SAMPLES : (index + 1) * FRAME_SAMPLES]
        frame = av.AudioFrame.from_ndarray(np.repeat(chunk, 2).reshape(1, -1), format="s16", layout="stereo")
        frame.sample_rate = RATE
        frame.pts = index * FRAME_SAMPLES
        packets.extend(bytes(p) for p in encoder.encode(frame))
    packets.extend(bytes(p) for p in encoder.encode(None))
    return packets


def snr_db(
    reference: npt.NDArray[np.float32], decoded: npt.NDArray[np.float32], skip: int = 3 * FRAME_SAMPLES
) -> float:
    """SNR of `decoded` against the best-aligned stretch of `reference` (codec delay or missing leading frames)."""
    size = 1 << int(np.ceil(np.log2(len(reference) + len(decoded))))
    correlation = np.fft.irfft(np.fft.rfft(reference, size) * np.conj(np.fft.rfft(decoded, size)), size)
    lag = int(np.argmax(correlation))
    lag = lag - size if lag > size // 2 else lag  # decoded[i] ~ reference[i + lag]
    ref, out = (reference[lag:], decoded) if lag >= 0 else (reference, decoded[-lag:])
    length = min(len(ref), len(out))
    ref64, out64 = ref[skip:length].astype(np.float64), out[skip:length].astype(np.float64)
    noise = float(np.sum((ref64 - out64) ** 2))
    return float(10 * np.log10(float(np.sum(ref64**2)) / max(noise, 1e-12)))


async def play(send: Callable[[bytes], None], frames: list[bytes]) -> None:
    """Calls send every 20 ms against a fixed schedule, as the frame clock does."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for index, frame in enumerate(frames):
        send(frame)
        await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - loop.time()))
