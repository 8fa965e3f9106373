"""The filters beyond Lavalink through the real pipeline (WAV -> decode -> filters -> Opus) and decoded as
Discord would: what a listener hears, measured against each filter's formula (the chain-level tests in
tests/audio/test_filters_beyond.py and test_loudness.py sweep the parameters; these prove the node applies them)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lavalink_py.audio import AudioEngine
from lavalink_py.audio.filters.base import Pcm
from tests.audio.filter_signals import ebur128, envelope_rate_hz, rms_db
from tests.audio.filters.render import RATE, Audio, amplitude_at, db, render, tone, trim, write_wav


def music_like(seconds: float, peak: float, seed: int) -> Audio:
    """Noise, a bass line and a vibrato lead, scaled to `peak`."""
    t = np.arange(round(seconds * RATE)) / RATE
    rng = np.random.default_rng(seed)
    mix = 0.15 * rng.standard_normal(len(t)) + 0.5 * np.sin(2 * np.pi * 55 * t)
    mix += 0.3 * np.sin(2 * np.pi * (440 + 40 * np.sin(2 * np.pi * 3 * t)) * t)
    return np.asarray(mix * peak / np.max(np.abs(mix)))


async def test_loudness_brings_tracks_20_db_apart_to_the_target(engine: AudioEngine, tmp_path: Path) -> None:
    heard: list[Pcm] = []
    for name, peak in (("loud", 0.9), ("quiet", 0.09)):
        path = write_wav(tmp_path / f"{name}.wav", music_like(8.0, peak, seed=len(name)))
        out = await render(engine, path, {"loudness": {"targetLufs": -18.0, "maxGainDb": 30.0}})
        heard.append(out.astype(np.float32))
        # The first 400 ms a listener hears are already at the target, not at the track's own level.
        assert ebur128(heard[-1][: RATE * 4 // 10])["M"] <= -18.0 + 1.5
    for pcm in heard:
        assert ebur128(pcm)["I"] == pytest.approx(-18.0, abs=1.0)


async def test_compressor_gain_reduction(engine: AudioEngine, tmp_path: Path) -> None:
    amplitude = 10 ** (-6 / 20) * math.sqrt(2)  # a 1 kHz tone at -6 dBFS RMS
    path = write_wav(tmp_path / "t.wav", tone(1000.0, 2.0, amplitude))
    settings = {"thresholdDb": -20.0, "ratio": 4.0, "attackMs": 50.0, "releaseMs": 50.0, "kneeDb": 0.0}
    out = trim(await render(engine, path, {"compressor": settings}))[RATE // 2 :, 0]
    assert rms_db(out) == pytest.approx(-20 + (-6 + 20) / 4, abs=0.5)


@pytest.mark.parametrize("hz", [50.0, 100.0, 800.0])
async def test_high_pass_attenuation(engine: AudioEngine, tmp_path: Path, hz: float) -> None:
    path = write_wav(tmp_path / "t.wav", tone(hz, 2.0))
    out = trim(await render(engine, path, {"highPass": {"cutoffHz": 200.0}}))[RATE // 2 :, 0]
    assert db(amplitude_at(out, hz) / 0.3) == pytest.approx(-10 * math.log10(1 + (200.0 / hz) ** 4), abs=1.0)


async def test_echo_repeats_after_its_delay(engine: AudioEngine, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = write_wav(tmp_path / "n.wav", np.clip(0.1 * rng.standard_normal(3 * RATE), -0.9, 0.9))
    out = trim(await render(engine, path, {"echo": {"delayMs": 150.0, "decay": 0.5}}))[:, 0]
    spectrum = np.fft.rfft(out, n=2 * len(out))
    autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2)[: RATE // 2]
    lag = RATE // 200 + int(np.argmax(autocorrelation[RATE // 200 :]))
    assert abs(lag - 150 * RATE // 1000) <= 2
    assert autocorrelation[lag] / autocorrelation[0] == pytest.approx(0.5 / 1.25, abs=0.08)


MODULATED = [
    ("phaser", {"rateHz": 1.0, "feedback": 0.6}),
    # A 200 Hz tone and its copy swinging 20-21 ms behind: their sum's level swings once per period.
    ("chorus", {"delayMs": 20.0, "depthMs": 1.0, "rateHz": 2.0, "mix": 0.5}),
]


@pytest.mark.parametrize(("name", "settings"), MODULATED)
async def test_modulation_at_its_rate(
    engine: AudioEngine, tmp_path: Path, name: str, settings: dict[str, float]
) -> None:
    path = write_wav(tmp_path / "t.wav", tone(200.0, 6.0, 0.5))
    out = await render(engine, path, {name: settings})
    assert envelope_rate_hz(out.astype(np.float32)) == pytest.approx(settings["rateHz"], rel=0.03)
