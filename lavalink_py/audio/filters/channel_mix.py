"""`channelMix`: leftToLeft (1.0), leftToRight (0.0), rightToLeft (0.0), rightToRight (1.0), each 0-1 (all 0.5 =
mono). lavadsp `ChannelMixPcmAudioFilter`: l' = clamp(ltl*l + rtl*r), r' = clamp(ltr*l + rtr*r), clamped to
[-1, 1]. FFmpeg's `pan` is the same matrix without the clamp; numpy does both in one 2x2 product.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values, unit

if TYPE_CHECKING:
    import numpy as np
else:
    np = Deferred("numpy")


class ChannelMixStage:
    def __init__(self, ltl: float, ltr: float, rtl: float, rtr: float) -> None:
        # out = in @ m: column 0 makes the left output, column 1 the right.
        self._m = np.array([[ltl, ltr], [rtl, rtr]], np.float32)

    def process(self, block: Pcm) -> Pcm:
        out: Pcm = np.clip(block @ self._m, -1.0, 1.0)
        return out


class ChannelMixFilter(FieldFilter):
    name = "channelMix"
    fields = {  # noqa: RUF012
        "leftToLeft": Field(1.0, unit, "from 0.0 to 1.0"),
        "leftToRight": Field(0.0, unit, "from 0.0 to 1.0"),
        "rightToLeft": Field(0.0, unit, "from 0.0 to 1.0"),
        "rightToRight": Field(1.0, unit, "from 0.0 to 1.0"),
    }

    def is_neutral(self, params: Values) -> bool:
        return params.is_default(self.fields)

    def stage(self, params: Values) -> Stage:
        return NumpyStep(
            partial(
                ChannelMixStage,
                params["leftToLeft"],
                params["leftToRight"],
                params["rightToLeft"],
                params["rightToRight"],
            )
        )
