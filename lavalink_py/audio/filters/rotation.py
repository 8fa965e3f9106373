"""`rotation`: rotationHz (0.0, any number; 0 = off, negative turns the other way).
lavadsp `RotationPcmAudioFilter` (audio panning around the head): x advances 2 pi rotationHz / fs per sample,
left *= (1 + sin x) / 2, right *= (1 - sin x) / 2. A sine pan with exactly those gains is one vectorised numpy
expression; FFmpeg's closest (`apulsator`) has its own LFO shapes and offsets, so numpy runs it.
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
else:
    np = Deferred("numpy")

SAMPLE_RATE = 48_000


class RotationStage:
    def __init__(self, rotation_hz: float) -> None:
        self._dx = 2 * math.pi * rotation_hz / SAMPLE_RATE
        self._x = 0.0

    def process(self, block: Pcm) -> Pcm:
        n = len(block)
        s = np.sin(self._x + self._dx * np.arange(n))
        self._x = float((self._x + self._dx * n) % (2 * math.pi))
        out: Pcm = np.empty_like(block)
        out[:, 0] = block[:, 0] * ((1.0 + s) / 2.0)
        out[:, 1] = block[:, 1] * ((1.0 - s) / 2.0)
        return out


class RotationFilter(FieldFilter):
    name = "rotation"
    fields = {"rotationHz": Field(0.0)}  # noqa: RUF012

    def is_neutral(self, params: Values) -> bool:
        return params["rotationHz"] == 0.0

    def stage(self, params: Values) -> Stage:
        return NumpyStep(partial(RotationStage, params["rotationHz"]))
