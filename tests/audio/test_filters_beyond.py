"""The filters beyond Lavalink, measured on real decoded audio: echo, chorus, compressor, highPass, phaser.

Each test writes a signal to a file, decodes it (FFmpeg, resampled to 48 kHz as the pipeline does), runs the
filter over it as one stream, and checks what came out against the formula the filter's docstring states.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lavalink_py.audio.filters import chorus, compressor, echo, highpass, loudness, phaser
from lavalink_py.audio.filters.base import FilterSpec
from lavalink_py.audio.filters.chorus import ChorusFilter
from lavalink_py.audio.filters.compressor import CompressorFilter
from lavalink_py.audio.filters.echo import EchoFilter
from lavalink_py.audio.filters.highpass import HighPassFilter
from lavalink_py.audio.filters.loudness import LoudnessFilter
from lavalink_py.audio.filters.phaser import PhaserFilter
from lavalink_py.protocol.validation import RequestError
from tests.audio.filter_signals import RATE, decoded, envelope_rate_hz, noise, rms_db, run_filter, tone

SPECS: list[FilterSpec[Any]] = [EchoFilter(), ChorusFilter(), CompressorFilter(), HighPassFilter(), PhaserFilter()]


class TestEcho:
    @pytest.mark.parametrize(("delay_ms", "decay"), [(120.0, 0.5), (333.0, 0.3)])
    def test_autocorrelation_peaks_at_the_delay(self, tmp_path: Path, delay_ms: float, decay: float) -> None:
        pcm = decoded(tmp_path / "noise.wav", noise(3.0, 0.1))
        out = run_filter(EchoFilter(), {"delayMs": delay_ms, "decay": decay}, pcm)[:, 0].astype(np.float64)
        spectrum = np.fft.rfft(out, n=2 * len(out))
        autocorrelation = np.fft.irfft(np.abs(spectrum) ** 2)[: RATE // 2]
        autocorrelation /= autocorrelation[0]
        search_from = RATE // 200  # past the resampler's own short correlation
        lag = search_from + int(np.argmax(autocorrelation[search_from:]))
        assert abs(lag - delay_ms * RATE / 1000) <= 2
        # y = x + d·x[t-D] over white noise: R(D) / R(0) = d / (1 + d²)
        assert autocorrelation[lag] == pytest.approx(decay / (1 + decay**2), abs=0.05)

    def test_keeps_within_full_scale_and_decay_zero_is_neutral(self, tmp_path: Path) -> None:
        pcm = decoded(tmp_path / "tone.wav", tone(200.0, 1.0, 0.95))
        out = run_filter(EchoFilter(), {"delayMs": 5.0, "decay": 1.0}, pcm)
        assert float(np.max(np.abs(out))) <= 0.96
        spec = EchoFilter()
        assert spec.is_neutral(spec.parse({"decay": 0}, "filters.echo"))


class TestCompressor:
    @pytest.mark.parametrize("level_db", [-30.0, -12.0, -6.0, -3.0])
    def test_gain_follows_threshold_and_ratio(self, tmp_path: Path, level_db: float) -> None:
        """Hard knee, attack = release (the detector then reads a steady tone's RMS exactly)."""
        amplitude = 10 ** (level_db / 20) * math.sqrt(2)
        pcm = decoded(tmp_path / "tone.wav", tone(1000.0, 2.0, amplitude))
        settings = {"thresholdDb": -20.0, "ratio": 4.0, "attackMs": 50.0, "releaseMs": 50.0, "kneeDb": 0.0}
        out = run_filter(CompressorFilter(), settings, pcm)
        measured_in = rms_db(pcm[RATE:])
        expected = measured_in if measured_in < -20 else -20 + (measured_in + 20) / 4
        assert rms_db(out[RATE:]) == pytest.approx(expected, abs=0.5)

    def test_makeup_gain_is_added(self, tmp_path: Path) -> None:
        pcm = decoded(tmp_path / "tone.wav", tone(1000.0, 2.0, 10 ** (-30 / 20) * math.sqrt(2)))
        out = run_filter(CompressorFilter(), {"makeupDb": 6.0, "kneeDb": 0.0}, pcm)
        assert rms_db(out[RATE:]) - rms_db(pcm[RATE:]) == pytest.approx(6.0, abs=0.3)


class TestHighPass:
    @pytest.mark.parametrize("hz", [50.0, 100.0, 200.0, 400.0, 1600.0])
    def test_attenuation_is_butterworth(self, tmp_path: Path, hz: float) -> None:
        pcm = decoded(tmp_path / "tone.wav", tone(hz, 1.5, 0.5))
        out = run_filter(HighPassFilter(), {"cutoffHz": 200.0}, pcm)
        expected = -10 * math.log10(1 + (200.0 / hz) ** 4)
        assert rms_db(out[RATE // 2 :]) - rms_db(pcm[RATE // 2 :]) == pytest.approx(expected, abs=0.3)


class TestModulation:
    @pytest.mark.parametrize("rate_hz", [0.5, 1.5])
    def test_phaser_sweeps_at_its_rate(self, tmp_path: Path, rate_hz: float) -> None:
        pcm = decoded(tmp_path / "tone.wav", tone(200.0, 8.0, 0.5))
        out = run_filter(PhaserFilter(), {"rateHz": rate_hz, "feedback": 0.6}, pcm)
        assert envelope_rate_hz(out) == pytest.approx(rate_hz, rel=0.03)
        assert float(np.max(np.abs(out))) <= float(np.max(np.abs(pcm))) + 0.01

    @pytest.mark.parametrize("rate_hz", [0.5, 3.0])
    def test_chorus_modulates_at_its_rate(self, tmp_path: Path, rate_hz: float) -> None:
        """A 200 Hz tone and its copy swinging 20-21 ms behind: their sum's level swings once per period."""
        pcm = decoded(tmp_path / "tone.wav", tone(200.0, 8.0, 0.5))
        settings = {"delayMs": 20.0, "depthMs": 1.0, "rateHz": rate_hz, "mix": 0.5}
        out = run_filter(ChorusFilter(), settings, pcm)
        assert envelope_rate_hz(out) == pytest.approx(rate_hz, rel=0.03)

    def test_unmodulated_input_has_no_such_rate(self, tmp_path: Path) -> None:
        pcm = decoded(tmp_path / "tone.wav", tone(200.0, 8.0, 0.5))
        hop = RATE // 100
        env = np.sqrt(np.mean(pcm[RATE : RATE + 6 * RATE, 0].reshape(-1, hop) ** 2, axis=1))
        assert float(np.std(env)) < 0.001


class TestFields:
    @pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
    def test_empty_object_echoes_every_default(self, spec: FilterSpec[Any]) -> None:
        echoed = spec.to_json(spec.parse({}, f"filters.{spec.name}"))
        assert echoed == spec.to_json(spec.parse(echoed, f"filters.{spec.name}"))
        assert all(isinstance(value, float) for value in echoed.values())

    @pytest.mark.parametrize(
        ("spec", "body", "field"),
        [
            (EchoFilter(), {"delayMs": 0}, "delayMs"),
            (EchoFilter(), {"decay": 1.5}, "decay"),
            (ChorusFilter(), {"rateHz": 0}, "rateHz"),
            (ChorusFilter(), {"depthMs": "2"}, "depthMs"),
            (CompressorFilter(), {"ratio": 0.5}, "ratio"),
            (CompressorFilter(), {"thresholdDb": 3}, "thresholdDb"),
            (CompressorFilter(), {"attackMs": True}, "attackMs"),
            (HighPassFilter(), {"cutoffHz": 5}, "cutoffHz"),
            (PhaserFilter(), {"feedback": 1.0}, "feedback"),
            (PhaserFilter(), {"rateHz": 2.5}, "rateHz"),
        ],
    )
    def test_bad_value_names_the_field(self, spec: FilterSpec[Any], body: dict[str, Any], field: str) -> None:
        with pytest.raises(RequestError, match=rf"^filters\.{spec.name}\.{field}: expected a number"):
            spec.parse(body, f"filters.{spec.name}")

    @pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
    def test_not_an_object_is_refused(self, spec: FilterSpec[Any]) -> None:
        with pytest.raises(RequestError, match=rf"^filters\.{spec.name}: expected a JSON object"):
            spec.parse([1], f"filters.{spec.name}")


def _extremes() -> list[tuple[FilterSpec[Any], dict[str, float]]]:
    cases: list[tuple[FilterSpec[Any], dict[str, float]]] = []
    every = (echo.FIELDS, chorus.FIELDS, compressor.FIELDS, highpass.FIELDS, phaser.FIELDS, loudness.FIELDS)
    for spec, fields in zip([*SPECS, LoudnessFilter()], every, strict=True):
        for key, field in fields.items():
            for value in (field.low, field.high):
                cases.append((spec, {key: value}))
        cases.append((spec, {key: field.low for key, field in fields.items()}))
        cases.append((spec, {key: field.high for key, field in fields.items()}))
    return cases


@pytest.mark.parametrize(("spec", "body"), _extremes(), ids=lambda case: str(getattr(case, "name", case)))
def test_every_accepted_value_configures_and_runs(spec: FilterSpec[Any], body: dict[str, float]) -> None:
    """A value the API accepts must never make FFmpeg refuse the graph mid-stream."""
    rng = np.random.default_rng(0)
    pcm = np.clip(rng.standard_normal((RATE // 2, 2)) * 0.3, -1, 1).astype(np.float32)
    out = run_filter(spec, body, pcm)
    assert np.all(np.isfinite(out))
    assert len(out) >= len(pcm) - 960
