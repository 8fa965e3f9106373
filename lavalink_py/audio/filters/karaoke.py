"""`karaoke`: level 0-1 (1.0), monoLevel 0-1 (1.0), filterBand Hz (220.0), filterWidth Hz (100.0).
lavadsp `KaraokeConverter`: cancels what is common to both channels, then adds back a resonator's band of the
mono signal: m = (l + r) / 2, y(n) = A*m(n) - B*y(n-1) - C*y(n-2) with C = exp(-2 pi width / fs),
B = -4C/(1+C) cos(2 pi band / fs), A = sqrt(1 - B^2/(4C)) (1 - C); l' = l - level*r + level*monoLevel*y,
r' = r - level*l + level*monoLevel*y (no clamp). A resonator mixed across channels is no single FFmpeg filter
(pan + biquad would need a split graph), so numpy + `scipy.signal.lfilter` runs it. Lavalink always builds it
when present; here level 0 (which changes nothing) counts as neutral so passthrough stays possible.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values, unit

if TYPE_CHECKING:
    import numpy as np
    from scipy import signal
else:
    np = Deferred("numpy")
    signal = Deferred("scipy.signal")

SAMPLE_RATE = 48_000


class KaraokeStage:
    def __init__(self, level: float, mono_level: float, band_hz: float, width_hz: float) -> None:
        c = math.exp(-2 * math.pi * width_hz / SAMPLE_RATE)
        b = -4 * c / (1 + c) * math.cos(2 * math.pi * band_hz / SAMPLE_RATE)
        a = math.sqrt(max(0.0, 1 - b * b / (4 * c))) * (1 - c) if c > 0 else 0.0
        self._b, self._a = np.array([a]), np.array([1.0, b, c])
        self._zi = np.zeros(2)
        self._level, self._mono = level, mono_level

    def process(self, block: Pcm) -> Pcm:
        left, right = block[:, 0].astype(np.float64), block[:, 1].astype(np.float64)
        y, self._zi = signal.lfilter(self._b, self._a, (left + right) / 2.0, zi=self._zi)
        o = y * (self._mono * self._level)
        out: Pcm = np.empty_like(block)
        out[:, 0] = left - right * self._level + o
        out[:, 1] = right - left * self._level + o
        return out


class KaraokeFilter(FieldFilter):
    name = "karaoke"
    fields = {  # noqa: RUF012
        "level": Field(1.0, unit, "from 0.0 to 1.0"),
        "monoLevel": Field(1.0, unit, "from 0.0 to 1.0"),
        "filterBand": Field(220.0),
        "filterWidth": Field(100.0),
    }

    def is_neutral(self, params: Values) -> bool:
        return params["level"] == 0.0

    def stage(self, params: Values) -> Stage:
        return NumpyStep(
            partial(KaraokeStage, params["level"], params["monoLevel"], params["filterBand"], params["filterWidth"])
        )
