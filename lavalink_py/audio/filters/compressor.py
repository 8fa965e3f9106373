"""`compressor` (beyond Lavalink): above `thresholdDb`, the level rises only 1 dB per `ratio` dB of input.

FFmpeg `acompressor` with RMS detection and linked channels: the detector smooths the signal's square with the
`attackMs` / `releaseMs` time constants, and above the threshold the gain follows
out_dB = T + (in_dB - T) / ratio, with a soft knee `kneeDb` wide (Hermite interpolation around T) and `makeupDb`
after. With attack = release a steady tone measures its RMS exactly; with a faster attack the detector rides
nearer the peaks and reduces a little more (about 1.7 dB more at 20 / 250 ms on a 1 kHz sine).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.bounds import bounded, db_to_linear
from lavalink_py.audio.filters.fields import parse_fields

# acompressor's own limits: threshold 2^-10 to 1 (-60.2 to 0 dB), ratio 1-20, attack 0.01-2000 ms,
# release 0.01-9000 ms, makeup 1-64 (0-36.1 dB), knee 1-8 (0-18.06 dB).
FIELDS: Final = {
    "thresholdDb": bounded(-20.0, -60.0, 0.0),
    "ratio": bounded(4.0, 1.0, 20.0),
    "attackMs": bounded(20.0, 0.01, 2000.0),
    "releaseMs": bounded(250.0, 0.01, 9000.0),
    "kneeDb": bounded(6.0, 0.0, 18.0),
    "makeupDb": bounded(0.0, 0.0, 36.0),
}


@dataclass(frozen=True, slots=True)
class CompressorParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    thresholdDb: float
    ratio: float
    attackMs: float
    releaseMs: float
    kneeDb: float
    makeupDb: float


class CompressorFilter:
    name: Final = "compressor"

    def parse(self, value: Any, where: str) -> CompressorParams:
        return CompressorParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: CompressorParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: CompressorParams) -> bool:
        return params.ratio == 1.0 and params.makeupDb == 0.0

    def stage(self, params: CompressorParams) -> Stage:
        args = (
            f"threshold={db_to_linear(params.thresholdDb):.6g}:ratio={params.ratio:.6g}"
            f":attack={params.attackMs:.6g}:release={params.releaseMs:.6g}"
            f":knee={db_to_linear(params.kneeDb):.6g}:makeup={db_to_linear(params.makeupDb):.6g}"
            ":detection=rms:link=average"
        )
        return FfmpegStage((("acompressor", args),))
