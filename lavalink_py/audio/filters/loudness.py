"""`loudness` (beyond Lavalink): tracks of any loudness play at `targetLufs` (EBU R128 / ITU-R BS.1770).

Why not FFmpeg's `loudnorm`: in its single-pass (dynamic) mode it holds 3 s of audio before giving any out (a
PATCH would be heard 3 s late, after a gap), and it upsamples to 192 kHz for its true-peak limiter, which costs
3.1 % of a core per stream — twice the Opus encoder (BENCHMARKS.md). Instead this numpy stage measures the
stream as FFmpeg's `ebur128` does (`loudness_meter.py`) and applies one smoothed gain, with no delay:

- gain = targetLufs - the stream's integrated loudness so far, clamped to [-40 dB, `maxGainDb`]. Integrated
  (not short-term) loudness keeps the track's own dynamics: a quiet verse stays quieter than the chorus.
- No loud burst at a track's start: each stream gets a fresh stage (the chain makes one per stream) that
  measures the first block before applying anything, so the first sample already plays at the target.
- Falling gain applies at once (a 5 ms ramp), rising gain at most `_RISE_DB_PER_S` (a ramp over the block): the
  gain moves linearly from the last value to the new one, so a change never clicks. A momentary (400 ms)
  loudness more than `_BURST_LU` above the target is pulled down at once (a quiet intro, then a loud drop).
- The block's sample peak after gain stays at or under `peakDb`; the gain is lowered for the block instead of
  clipping (a sample-peak limit: inter-sample peaks may exceed it by a fraction of a dB).
- Silence (below BS.1770's -70 LUFS gate) holds the gain, so pauses are not pumped up.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from lavalink_py.audio.filters.base import NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.bounds import bounded
from lavalink_py.audio.filters.deferred import Deferred
from lavalink_py.audio.filters.fields import parse_fields
from lavalink_py.audio.filters.loudness_meter import (
    ABSOLUTE_GATE_LUFS,
    SAMPLE_RATE,
    SILENCE,
    LoudnessHistory,
    lufs,
)

if TYPE_CHECKING:
    import numpy as np
else:
    np = Deferred("numpy")

FIELDS: Final = {
    "targetLufs": bounded(-16.0, -40.0, -5.0),
    "maxGainDb": bounded(20.0, 0.0, 30.0),
    "peakDb": bounded(-1.0, -9.0, 0.0),
}
_MIN_GAIN_DB: Final = -40.0
_RISE_DB_PER_S: Final = 3.0
_BURST_LU: Final = 6.0
_FALL_SAMPLES: Final = SAMPLE_RATE // 200


@dataclass(frozen=True, slots=True)
class LoudnessParams:
    """Fields named as in the JSON (camelCase), so `asdict` is the echo."""

    targetLufs: float
    maxGainDb: float
    peakDb: float


class LoudnessStage:
    """One stream's meter and gain. Gains are in dB; `None` until the stream has been heard."""

    def __init__(self, params: LoudnessParams) -> None:
        self._params = params
        self._history = LoudnessHistory()
        self._gain_db: float | None = None

    def process(self, block: Pcm) -> Pcm:
        here = lufs(self._history.feed(block))
        start = self._gain_db
        end = self._wanted_gain(here, len(block))
        if end is None:
            return block
        peak = float(np.max(np.abs(block)))
        if peak > 0.0:
            end = min(end, self._params.peakDb - 20.0 * math.log10(peak))
        self._gain_db = end
        if start is None:
            start = end
        ceiling = 10.0 ** (self._params.peakDb / 20.0)
        if start == end:
            return block * np.float32(10.0 ** (end / 20.0))
        # Rising: over the whole block. Falling: within 5 ms, so a loud entry is not heard at the old gain.
        length = len(block) if end > start else min(len(block), _FALL_SAMPLES)
        gains = np.full(len(block), 10.0 ** (end / 20.0), np.float32)
        gains[:length] = np.linspace(10.0 ** (start / 20.0), 10.0 ** (end / 20.0), length, dtype=np.float32)
        out = block * gains[:, None]
        # Only a falling ramp can overshoot the peak limit, in its first milliseconds.
        return np.clip(out, -ceiling, ceiling, out=out)

    def _wanted_gain(self, here: float, samples: int) -> float | None:
        target = self._params.targetLufs
        if here < ABSOLUTE_GATE_LUFS:
            here = SILENCE
        momentary = self._history.momentary()
        level = self._history.integrated()
        if level == SILENCE:
            level = momentary if momentary != SILENCE else here
        if level == SILENCE:
            return self._gain_db  # nothing heard yet, or silence: hold
        wanted = min(max(target - level, _MIN_GAIN_DB), self._params.maxGainDb)
        loudest = max(here, momentary)
        wanted = min(wanted, target + _BURST_LU - loudest)
        if self._gain_db is not None and wanted > self._gain_db:
            wanted = min(wanted, self._gain_db + _RISE_DB_PER_S * samples / SAMPLE_RATE)
        return wanted


class LoudnessFilter:
    name: Final = "loudness"

    def parse(self, value: Any, where: str) -> LoudnessParams:
        return LoudnessParams(**parse_fields(value, where, FIELDS))

    def to_json(self, params: LoudnessParams) -> dict[str, Any]:
        return asdict(params)

    def is_neutral(self, params: LoudnessParams) -> bool:
        return False  # every track is brought to the target

    def stage(self, params: LoudnessParams) -> Stage:
        return NumpyStep(lambda: LoudnessStage(params))
