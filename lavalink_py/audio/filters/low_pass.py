"""`lowPass`: smoothing (20.0, any number; 1.0 or less = off).
lavadsp `LowPassConverter`: value += (x - value) / smoothing, a one-pole low-pass y(n) = x/s + (1 - 1/s) y(n-1).
FFmpeg's one-pole `lowpass` (poles=1) is y(n) = (1 - e) x + e y(n-1) with e = exp(-2 pi f / fs): the same filter
with f = -fs ln(1 - 1/s) / (2 pi) (smoothing 20 -> 391.9 Hz, -3 dB there). lavadsp starts from the first sample,
FFmpeg from 0: they differ only in the first milliseconds of a stream.
"""

from __future__ import annotations

import math

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values

SAMPLE_RATE = 48_000


def cutoff_hz(smoothing: float) -> float:
    return -SAMPLE_RATE * math.log(1.0 - 1.0 / smoothing) / (2 * math.pi)


class LowPassFilter(FieldFilter):
    name = "lowPass"
    fields = {"smoothing": Field(20.0)}  # noqa: RUF012

    def is_neutral(self, params: Values) -> bool:
        return params["smoothing"] <= 1.0

    def stage(self, params: Values) -> Stage:
        return FfmpegStage((("lowpass", f"f={cutoff_hz(params['smoothing'])!r}:p=1"),))
