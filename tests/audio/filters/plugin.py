"""A filter as a plugin would register it (under `filters.pluginFilters.gain`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from lavalink_py.audio.filters import NumpyStep, Pcm, Stage
from lavalink_py.protocol.validation import RequestError, check_number, expect_object


class Gain:
    def __init__(self, gain: float) -> None:
        self._gain = np.float32(gain)

    def process(self, block: Pcm) -> Pcm:
        out: Pcm = block * self._gain
        return out


@dataclass(frozen=True)
class GainFilter:
    """What a plugin would register: `{"gain": number 0-2}` under pluginFilters.gain."""

    name: str = "gain"

    def parse(self, value: Any, where: str) -> float:
        obj = expect_object(value, where)
        gain = check_number(obj.get("gain", 1.0), f"{where}.gain")
        if not 0.0 <= gain <= 2.0:
            raise RequestError(f"{where}.gain: expected a number from 0.0 to 2.0, got {gain}")
        return gain

    def to_json(self, params: float) -> Any:
        return {"gain": params}

    def is_neutral(self, params: float) -> bool:
        return params == 1.0

    def stage(self, params: float) -> Stage:
        return NumpyStep(partial(Gain, params))
