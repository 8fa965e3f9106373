"""`echo` (beyond Lavalink): one repeat of the sound `delayMs` later at `decay` times its level.

FFmpeg `aecho` (feed-forward: out = (in + decay * in[t - delay]) * out_gain, one tap). The dry sound stays at
unity and `out_gain = 1 / (1 + decay)` keeps the sum within full scale, so the filter never clips on its own; the
price is that the dry level drops by 20·log10(1 + decay) dB (3.5 dB at the default decay 0.5).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.bounds import bounded
from lavalink_py.audio.filters.fields import parse_fields

FIELDS: Final = {
    "delayMs": bounded(250.0, 1.0, 5000.0),
    "decay": bounded(0.5, 0.0, 1.0),
}


@dataclass(frozen=True, slots=True)
class EchoParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    delayMs: float
    decay: float


class EchoFilter:
    name: Final = "echo"

    def parse(self, value: Any, where: str) -> EchoParams:
        return EchoParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: EchoParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: EchoParams) -> bool:
        return params.decay == 0.0

    def stage(self, params: EchoParams) -> Stage:
        if params.decay == 0.0:
            return FfmpegStage((("anull", ""),))  # aecho refuses a zero decay; the registry skips it anyway
        out_gain = 1.0 / (1.0 + params.decay)
        args = f"in_gain=1:out_gain={out_gain:.6g}:delays={params.delayMs:.6g}:decays={params.decay:.6g}"
        return FfmpegStage((("aecho", args),))
