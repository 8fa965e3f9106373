"""`chorus` (beyond Lavalink): a copy of the sound, delayed by a time that swings `depthMs` at `rateHz`, mixed in.

FFmpeg `chorus` with one voice: the copy's delay moves sinusoidally between `delayMs` and `delayMs + depthMs`
(`ff_generate_wave_table`, period 1 / `rateHz`), it is added at `mix` times its level, and
`out_gain = 1 / (1 + mix)` keeps the sum within full scale (the dry level drops by 20·log10(1 + mix) dB).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.bounds import bounded
from lavalink_py.audio.filters.fields import parse_fields

FIELDS: Final = {
    "delayMs": bounded(25.0, 1.0, 100.0),
    "depthMs": bounded(2.0, 0.0, 20.0),
    "rateHz": bounded(0.5, 0.01, 20.0),
    "mix": bounded(0.5, 0.0, 1.0),
}


@dataclass(frozen=True, slots=True)
class ChorusParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    delayMs: float
    depthMs: float
    rateHz: float
    mix: float


class ChorusFilter:
    name: Final = "chorus"

    def parse(self, value: Any, where: str) -> ChorusParams:
        return ChorusParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: ChorusParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: ChorusParams) -> bool:
        return params.mix == 0.0

    def stage(self, params: ChorusParams) -> Stage:
        out_gain = 1.0 / (1.0 + params.mix)
        args = (
            f"in_gain=1:out_gain={out_gain:.6g}:delays={params.delayMs:.6g}:decays={params.mix:.6g}"
            f":speeds={params.rateHz:.6g}:depths={params.depthMs:.6g}"
        )
        return FfmpegStage((("chorus", args),))
