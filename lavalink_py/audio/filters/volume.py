"""`volume`: a float multiplier, 0.0 to 5.0 (1.0 = unchanged), on lavadsp's curve (`VolumePcmAudioFilter`).

lavadsp does not multiply by the value itself: it ports lavaplayer's `PcmVolumeProcessor` curve to a 0-5 scale,
gain = tan(0.79 * v) up to v = 1.5, then 24612 * 100 * v / 150 / 10000 (= 1.6408 * v), and clamps to [-1, 1].
So 0.5 -> 0.423 (-7.5 dB), 2.0 -> 3.28 (+10.3 dB). Numpy: one multiply and a clamp, with the clamp FFmpeg's
`volume` would not do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.protocol.validation import RequestError, check_number

if TYPE_CHECKING:
    import numpy as np
else:
    np = Deferred("numpy")


def lavadsp_gain(volume: float) -> float:
    if volume <= 1.5:
        return math.tan(volume * 0.79)
    return 24612 * (volume * 100) / 150 / 10000


class VolumeStage:
    def __init__(self, gain: float) -> None:
        self._gain = np.float32(gain)

    def process(self, block: Pcm) -> Pcm:
        out: Pcm = np.clip(block * self._gain, -1.0, 1.0)
        return out


@dataclass(frozen=True, slots=True)
class VolumeFilter:
    name: str = "volume"

    def parse(self, value: Any, where: str) -> float:
        volume = check_number(value, where)
        if not 0.0 <= volume <= 5.0:
            raise RequestError(f"{where}: expected a number from 0.0 to 5.0, got {value}")
        return volume

    def to_json(self, params: float) -> Any:
        return params

    def is_neutral(self, params: float) -> bool:
        return params == 1.0

    def stage(self, params: float) -> Stage:
        return NumpyStep(partial(VolumeStage, lavadsp_gain(params)))
