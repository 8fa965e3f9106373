"""`highPass` (beyond Lavalink): removes the lows below `cutoffHz`.

FFmpeg `highpass` with two poles and Q = 1/√2: a second-order Butterworth high-pass (RBJ biquad),
|H(f)|² = 1 / (1 + (fc / f)⁴): -3 dB at the cutoff, -12 dB an octave below, -24 dB two octaves below.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.bounds import bounded
from lavalink_py.audio.filters.fields import parse_fields

FIELDS: Final = {"cutoffHz": bounded(200.0, 10.0, 20000.0)}


@dataclass(frozen=True, slots=True)
class HighPassParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    cutoffHz: float


class HighPassFilter:
    name: Final = "highPass"

    def parse(self, value: Any, where: str) -> HighPassParams:
        return HighPassParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: HighPassParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: HighPassParams) -> bool:
        return False  # even the lowest cutoff takes the lows down

    def stage(self, params: HighPassParams) -> Stage:
        return FfmpegStage((("highpass", f"f={params.cutoffHz:.6g}:p=2:t=q:w=0.707107"),))
