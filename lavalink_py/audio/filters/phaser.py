"""`phaser` (beyond Lavalink): notches that sweep up and down the spectrum at `rateHz`.

FFmpeg `aphaser` with a sinusoidal sweep (`type=s`): a delay line of up to `delayMs` whose output is fed back at
`feedback` and mixed with the input; the sweep period is 1 / `rateHz`. `in_gain = 1 - feedback` (FFmpeg's
defaults are 0.4 / 0.74, about 10 dB quieter) keeps the output's peaks at or below the input's whatever the
feedback, so the filter never clips on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.bounds import bounded
from lavalink_py.audio.filters.fields import parse_fields

# aphaser's own limits: delay 0-5 ms, decay 0-0.99, speed 0.1-2 Hz.
FIELDS: Final = {
    "rateHz": bounded(0.5, 0.1, 2.0),
    "delayMs": bounded(3.0, 0.1, 5.0),
    "feedback": bounded(0.4, 0.0, 0.99),
}


@dataclass(frozen=True, slots=True)
class PhaserParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    rateHz: float
    delayMs: float
    feedback: float


class PhaserFilter:
    name: Final = "phaser"

    def parse(self, value: Any, where: str) -> PhaserParams:
        return PhaserParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: PhaserParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: PhaserParams) -> bool:
        return False  # every setting sweeps notches through the sound

    def stage(self, params: PhaserParams) -> Stage:
        args = (
            f"in_gain={1.0 - params.feedback:.6g}:out_gain=1:delay={params.delayMs:.6g}"
            f":decay={params.feedback:.6g}:speed={params.rateHz:.6g}:type=s"
        )
        return FfmpegStage((("aphaser", args),))
