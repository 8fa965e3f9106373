"""`vibrato`: frequency Hz (2.0, greater than 0 and at most 14), depth (0.5, greater than 0 and at most 1).
lavadsp `VibratoConverter`: a delay line read by an LFO, per channel (both channels share the LFO's phase):
delay(n) = depth * 96 * (sin(phase) + 1) / 2 + 3 samples (2 ms span at 48 kHz, 3 samples ahead of the
interpolator), phase += 2 pi f / fs, read with 4-point 3rd-order Hermite interpolation. FFmpeg's `vibrato` sweeps
its own (wider) delay span with linear interpolation, so its depth means another pitch swing; numpy runs
lavadsp's, vectorised over a block with the last 128 input samples kept as history.
"""

from __future__ import annotations

import math
from functools import partial
from typing import TYPE_CHECKING

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
else:
    np = Deferred("numpy")

SAMPLE_RATE = 48_000
MAX_DELAY = int(0.002 * SAMPLE_RATE)
ADDITIONAL_DELAY = 3
HISTORY = 128  # > MAX_DELAY + ADDITIONAL_DELAY + 1


class VibratoStage:
    def __init__(self, frequency: float, depth: float) -> None:
        self._dp = 2 * math.pi * frequency / SAMPLE_RATE
        self._depth = depth
        self._phase = 0.0
        self._history: npt.NDArray[np.float64] = np.zeros((HISTORY, 2))

    def process(self, block: Pcm) -> Pcm:
        n = len(block)
        phases = self._phase + self._dp * np.arange(n)
        self._phase = float((self._phase + self._dp * n) % (2 * math.pi))
        delay = (np.sin(phases) + 1.0) * 0.5 * self._depth * MAX_DELAY + ADDITIONAL_DELAY
        ext = np.concatenate([self._history, block.astype(np.float64)])
        read = HISTORY + np.arange(n) - 1 - delay  # lavadsp reads before writing the current sample
        base = np.floor(read).astype(np.intp)
        x = (read - base)[:, None]
        y0, y1, y2, y3 = ext[base], ext[base + 1], ext[base + 2], ext[base + 3]
        c1 = 0.5 * (y2 - y0)
        c2 = (y0 - 2.5 * y1) + (2.0 * y2 - 0.5 * y3)
        c3 = 0.5 * (y3 - y0) + 1.5 * (y1 - y2)
        self._history = ext[-HISTORY:]
        out: Pcm = (((c3 * x + c2) * x + c1) * x + y1).astype(np.float32)
        return out


def _frequency(value: float) -> bool:
    return 0.0 < value <= 14.0


def _depth(value: float) -> bool:
    return 0.0 < value <= 1.0


class VibratoFilter(FieldFilter):
    name = "vibrato"
    fields = {  # noqa: RUF012
        "frequency": Field(2.0, _frequency, "greater than 0.0 and at most 14.0"),
        "depth": Field(0.5, _depth, "greater than 0.0 and at most 1.0"),
    }

    def is_neutral(self, params: Values) -> bool:
        return params["depth"] == 0.0

    def stage(self, params: Values) -> Stage:
        return NumpyStep(partial(VibratoStage, params["frequency"], params["depth"]))
