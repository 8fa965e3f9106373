"""The loudness normaliser, measured with FFmpeg's own EBU R128 meter (`ebur128`) on real decoded audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lavalink_py.audio.filters.base import Pcm
from lavalink_py.audio.filters.loudness import LoudnessFilter
from lavalink_py.audio.filters.loudness_meter import LoudnessHistory, lufs
from lavalink_py.protocol.validation import RequestError
from tests.audio.filter_signals import BLOCK, RATE, decoded, ebur128, noise, run_filter, tone


def music_like(seconds: float, level_db: float, seed: int) -> np.ndarray:
    """Noise plus a bass line and a lead, so the K-weighting's shelf and high-pass both matter."""
    rate = 44_100
    t = np.arange(round(seconds * rate)) / rate
    bass = 0.5 * np.sin(2 * np.pi * 55 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))
    lead = 0.3 * np.sin(2 * np.pi * (440 + 40 * np.sin(2 * np.pi * 3 * t)) * t)
    mix = noise(seconds, 0.15, seed=seed) + np.stack([bass + lead, 0.8 * bass + lead])
    mix *= 10 ** (level_db / 20) / np.max(np.abs(mix))
    return mix.astype(np.float32)


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pcm, Pcm]:
    """Two tracks 20 dB apart: one mastered loud (peaks at -1 dBFS) and one quiet."""
    root = tmp_path_factory.mktemp("loudness")
    return decoded(root / "loud.wav", music_like(12.0, -1.0, 1)), decoded(
        root / "quiet.wav", music_like(12.0, -21.0, 2)
    )


def test_meter_agrees_with_ffmpeg_ebur128(tracks: tuple[Pcm, Pcm]) -> None:
    for pcm in tracks:
        history = LoudnessHistory()
        for start in range(0, len(pcm), 960 * 3):
            history.feed(pcm[start : start + 960 * 3])
        assert history.integrated() == pytest.approx(ebur128(pcm)["I"], abs=0.1)


@pytest.mark.parametrize("target", [-16.0, -23.0])
def test_inputs_20_db_apart_play_at_the_target(tracks: tuple[Pcm, Pcm], target: float) -> None:
    loud, quiet = tracks
    assert ebur128(loud)["I"] - ebur128(quiet)["I"] == pytest.approx(20.0, abs=0.5)
    for pcm in tracks:
        out = run_filter(LoudnessFilter(), {"targetLufs": target, "maxGainDb": 30.0}, pcm)
        assert ebur128(out)["I"] == pytest.approx(target, abs=1.0)
        assert float(np.max(np.abs(out))) <= 10 ** (-1.0 / 20) + 1e-6


def _first_momentary(out: Pcm) -> float:
    """The loudness of the first 400 ms a listener hears."""
    return ebur128(out[: RATE * 4 // 10])["M"]


def test_a_new_track_starts_at_the_target_not_with_a_burst(tracks: tuple[Pcm, Pcm]) -> None:
    loud, quiet = tracks
    for pcm in (loud, quiet):
        out = run_filter(LoudnessFilter(), {"targetLufs": -20.0, "maxGainDb": 30.0}, pcm)
        assert _first_momentary(out) <= -20.0 + 1.5
        assert _first_momentary(out) >= -20.0 - 3.0


def test_a_loud_drop_after_a_quiet_intro_is_pulled_down_at_once(tmp_path: Path) -> None:
    intro = music_like(4.0, -31.0, 3)
    drop = music_like(4.0, -1.0, 4)
    pcm = decoded(tmp_path / "drop.wav", np.concatenate([intro, drop], axis=1))
    out = run_filter(LoudnessFilter(), {"targetLufs": -16.0, "maxGainDb": 30.0}, pcm)
    history = LoudnessHistory()
    loudest = -np.inf
    for start in range(0, len(out), BLOCK):
        history.feed(out[start : start + BLOCK])
        loudest = max(loudest, history.momentary())
    assert loudest <= -16.0 + 6.0 + 1.0


def test_silence_stays_silent_and_holds_the_gain(tmp_path: Path) -> None:
    silence = np.zeros((RATE * 2, 2), np.float32)
    pcm = decoded(tmp_path / "tone.wav", tone(1000.0, 3.0, 0.05))
    stream = np.concatenate([silence, pcm, silence, pcm])
    out = run_filter(LoudnessFilter(), {"targetLufs": -16.0}, stream)
    assert not np.any(out[: RATE * 2])
    second = out[RATE * 2 + len(pcm) + RATE * 2 :]
    assert lufs(float(np.mean(np.square(second[RATE:], dtype=np.float64)) * 2)) == pytest.approx(-16.0, abs=1.0)


def test_fields() -> None:
    spec = LoudnessFilter()
    assert spec.to_json(spec.parse({}, "filters.loudness")) == {"targetLufs": -16.0, "maxGainDb": 20.0, "peakDb": -1.0}
    assert not spec.is_neutral(spec.parse({"targetLufs": -14}, "filters.loudness"))
    for body, field in (
        ({"targetLufs": -3}, "targetLufs"),
        ({"maxGainDb": 31}, "maxGainDb"),
        ({"peakDb": 1}, "peakDb"),
    ):
        with pytest.raises(RequestError, match=rf"^filters\.loudness\.{field}: expected a number from"):
            spec.parse(body, "filters.loudness")
