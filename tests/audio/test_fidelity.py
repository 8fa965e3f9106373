"""Transcoding: every container/codec comes back as the same sweep, at the asked level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lavalink_py.audio import AudioEngine, EngineSettings, RecordingSink
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import SECONDS, Events, Media, play_to_end
from tests.audio.media import AMPLITUDE, decode_opus, rms, sweep_snr_db


async def record(engine: AudioEngine, path: Path, volume: int = 100) -> tuple[RecordingSink, Events]:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.set_volume(volume)
    playback.start(StreamSpec(str(path)))
    await play_to_end(engine, events)
    return sink, events


@pytest.mark.parametrize("fmt", ["mp3", "flac", "wav", "m4a", "ogg"])
async def test_sweep_survives_at_unity_volume(engine: AudioEngine, media: Media, fmt: str) -> None:
    sink, events = await record(engine, getattr(media, fmt))
    assert events.log == ["start", "end:finished"]
    # 3 s of sweep; AAC adds its 23 ms of priming, Ogg Opus its pre-skip packet.
    assert SECONDS * 50 <= len(sink.frames) <= SECONDS * 50 + 3
    pcm = decode_opus(sink.frames)
    assert sweep_snr_db(pcm[:, 0]) >= 25
    assert sweep_snr_db(pcm[:, 1], gain=0.8) >= 25


# lavaplayer's volume curve (audio/volume.py): 50 -> x0.4169 (-7.6 dB), 150 -> x2.4621 (+7.8 dB).
HALF_GAIN, LOUD_GAIN = 0.4169, 2.4621


async def test_volume_50_lowers_the_level_by_lavaplayers_curve(engine: AudioEngine, media: Media) -> None:
    sink, _ = await record(engine, media.flac, volume=50)
    pcm = decode_opus(sink.frames)[: 48_000 * 2]
    assert rms(pcm[:, 0]) == pytest.approx(HALF_GAIN * AMPLITUDE / np.sqrt(2), rel=0.05)
    assert sweep_snr_db(pcm[:, 0], gain=HALF_GAIN) >= 25


async def test_volume_150_raises_the_level_cleanly(engine: AudioEngine, media: Media) -> None:
    sink, _ = await record(engine, media.flac, volume=150)
    pcm = decode_opus(sink.frames)[: 48_000 * 2]
    # Channel 1 is 0.8 x 0.4 x 2.46 = 0.79 peak and channel 0 0.98: both still inside full scale.
    assert rms(pcm[:, 1]) == pytest.approx(LOUD_GAIN * 0.8 * AMPLITUDE / np.sqrt(2), rel=0.05)
    assert sweep_snr_db(pcm[:, 0], gain=LOUD_GAIN) >= 25


async def test_loud_volume_is_clipped_not_wrapped(engine: AudioEngine, media: Media) -> None:
    sink, _ = await record(engine, media.flac, volume=500)
    pcm = decode_opus(sink.frames)[: 48_000 * 2]
    # 0.4 x 5 = 2.0 peak is clipped at 1.0: the level saturates near a square wave's, and never wraps to
    # the opposite sign (which would show as a level far below it).
    assert 0.8 <= rms(pcm[:, 0]) <= 1.05
    assert np.max(np.abs(pcm[:, 0])) <= 1.2


async def test_mute_is_silent(engine: AudioEngine, media: Media) -> None:
    sink, events = await record(engine, media.mp3, volume=0)
    assert events.log == ["start", "end:finished"]
    assert rms(decode_opus(sink.frames)) < 1e-3


async def test_small_frame_buffer_plays_everything(media: Media) -> None:
    engine = AudioEngine(EngineSettings(frame_buffer_ms=100))  # 5 frames: refills at half-empty
    try:
        sink, events = await record(engine, media.mp3)
    finally:
        await engine.close()
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == SECONDS * 50
    assert sweep_snr_db(decode_opus(sink.frames)[:, 0]) >= 25
