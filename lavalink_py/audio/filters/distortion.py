"""`distortion`: sinOffset (0), sinScale (1), cosOffset (0), cosScale (1), tanOffset (0), tanScale (1), offset (0),
scale (1), any numbers. lavadsp `DistortionConverter` with all three functions on, per sample:
y = clamp(offset + scale * (sinOffset + sin(x*sinScale)) * (cosOffset + cos(x*cosScale)) * (tanOffset +
tan(x*tanScale)), -1, 1). No FFmpeg filter evaluates that short of `aeval`'s per-sample expression interpreter,
so numpy does, vectorised. As in Lavalink, all defaults means off (even though the formula would then give
sin^2(x)).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values

if TYPE_CHECKING:
    import numpy as np
else:
    np = Deferred("numpy")

NAMES = ("sinOffset", "sinScale", "cosOffset", "cosScale", "tanOffset", "tanScale", "offset", "scale")


class DistortionStage:
    def __init__(self, p: Values) -> None:
        self._p = [p[name] for name in NAMES]

    def process(self, block: Pcm) -> Pcm:
        sin_o, sin_s, cos_o, cos_s, tan_o, tan_s, offset, scale = self._p
        x = block.astype(np.float64)
        y = offset + scale * (sin_o + np.sin(x * sin_s)) * (cos_o + np.cos(x * cos_s)) * (tan_o + np.tan(x * tan_s))
        out: Pcm = np.clip(y, -1.0, 1.0).astype(np.float32)
        return out


class DistortionFilter(FieldFilter):
    name = "distortion"
    fields = {name: Field(1.0 if name.endswith(("Scale", "scale")) else 0.0) for name in NAMES}  # noqa: RUF012

    def is_neutral(self, params: Values) -> bool:
        return params.is_default(self.fields)

    def stage(self, params: Values) -> Stage:
        return NumpyStep(partial(DistortionStage, params))
