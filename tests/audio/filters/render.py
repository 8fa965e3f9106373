"""Play generated audio through a real Playback with filters and decode what the sink got, as a listener would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from lavalink_py.audio import AudioEngine, RecordingSink
from lavalink_py.protocol.filters import parse_filters
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, play_to_end
from tests.audio.media import decode_opus

RATE = 48_000
Audio = npt.NDArray[np.float64]


def tone(hz: float, seconds: float, amplitude: float = 0.3) -> Audio:
    return amplitude * np.sin(2 * np.pi * hz * np.arange(round(seconds * RATE)) / RATE)


def write_wav(path: Path, left: Audio, right: Audio | None = None) -> Path:
    """48 kHz 16-bit stereo WAV: the pipeline resamples nothing, so only the filters and Opus change it."""
    stereo = np.stack([left, left if right is None else right], axis=1)
    data = np.clip(np.rint(stereo * 32767), -32768, 32767).astype(np.int16)
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=RATE, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        for i in range(0, len(data), 4800):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[i : i + 4800]).reshape(1, -1), "s16", "stereo")
            frame.sample_rate = RATE
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


async def render(engine: AudioEngine, path: Path, filters: dict[str, Any] | None, max_ticks: int = 1000) -> Audio:
    """Decoded (samples, 2) output of the whole file played with `filters` (Lavalink JSON)."""
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    if filters is not None:
        playback.set_filters(engine.filters.plan(parse_filters(filters, engine.filters)))
    playback.start(StreamSpec(str(path)))
    await play_to_end(engine, events, max_ticks)
    engine.remove_playback(playback)
    assert events.log[-1] == "end:finished", events.log
    return decode_opus(sink.frames)


def amplitude_at(signal: Audio, hz: float, rate: int = RATE) -> float:
    """Amplitude of the sine at `hz` (Hann-windowed FFT, peak bin +- 2)."""
    n = len(signal)
    window = np.hanning(n)
    spectrum = np.abs(np.fft.rfft(signal * window)) * 2 / np.sum(window)
    k = round(hz * n / rate)
    return float(np.max(spectrum[max(0, k - 2) : k + 3]))


def peak_hz(signal: Audio, rate: int = RATE) -> float:
    """Frequency of the strongest component, refined by parabolic interpolation over the log spectrum."""
    n = len(signal)
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(n)))
    k = int(np.argmax(spectrum[1:])) + 1
    a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
    shift = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + shift) * rate / n)


def db(ratio: float) -> float:
    return float(20 * np.log10(ratio))


def trim(signal: Audio, seconds: float = 0.1) -> Audio:
    """Drop the first and last `seconds` (codec and filter start-up, the padded last frame)."""
    cut = round(seconds * RATE)
    return signal[cut : len(signal) - cut]
