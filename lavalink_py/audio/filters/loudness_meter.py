"""ITU-R BS.1770 loudness of 48 kHz stereo blocks, for the loudness normaliser.

K-weighting is BS.1770's two biquads (a +4 dB shelf above ~1.5 kHz, then the RLB high-pass at ~38 Hz), with
the standard's 48 kHz coefficients, run by `scipy.signal.lfilter` with its state carried from block to block (so
the result does not depend on how the stream is cut into blocks; it agrees with FFmpeg's `ebur128`, which the
tests measure with). Loudness = -0.691 + 10·log10(Σ over channels of mean squares) LUFS.

`LoudnessHistory` keeps the last 3 s as 100 ms hops (BS.1770's gating step) for the momentary (400 ms) and
short-term (3 s) loudness, each gated at -70 LUFS as the standard's absolute gate, and the integrated loudness
of everything fed so far: the 400 ms blocks (75 % overlap) gated at -70 LUFS, then at 10 LU below their mean.
The blocks are kept as a histogram of 0.1 LU bins (as libebur128 does), so memory and time stay bounded however
long the stream.
"""

from __future__ import annotations

import math
from collections import deque
from functools import cache
from typing import TYPE_CHECKING, Final

from lavalink_py.audio.filters.deferred import Deferred

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from scipy import signal
else:
    np = Deferred("numpy")
    signal = Deferred("scipy.signal")

SAMPLE_RATE: Final = 48_000
HOP_SAMPLES: Final = SAMPLE_RATE // 10
ABSOLUTE_GATE_LUFS: Final = -70.0
SILENCE: Final = -math.inf
_BINS_PER_LU: Final = 10
_BINS: Final = 80 * _BINS_PER_LU  # -70 to +10 LUFS

# BS.1770-4 tables 1 and 2 (48 kHz) as second-order sections: b0, b1, b2, 1, a1, a2.
_K_WEIGHTING: Final = (
    (1.53512485958697, -2.69169618940638, 1.19839281085285, 1.0, -1.69065929318241, 0.73248077421585),
    (1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621),
)


@cache
def _k_filter() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The K-weighting as one 4th-order filter (b, a), made by the first meter (scipy loads with a stream's stages).

    One `lfilter` costs half of `sosfilt` per 20 ms block (its Python wrapper dominates), and the two sections stay
    within 1e-10 of each other in double precision.
    """
    b, a = signal.sos2tf(np.array(_K_WEIGHTING))
    return b, a


def lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0.0 else SILENCE


class LoudnessHistory:
    """The last 3 s of a stream as 100 ms hops of K-weighted mean square, and the integrated histogram."""

    MOMENTARY_HOPS: Final = 4
    SHORT_TERM_HOPS: Final = 30

    def __init__(self, channels: int = 2) -> None:
        self._b, self._a = _k_filter()
        self._state = np.zeros((channels, len(self._a) - 1))
        self._hops: deque[float] = deque(maxlen=self.SHORT_TERM_HOPS)
        self._hop_energy = 0.0
        self._hop_fill = 0
        self._bin_energy = np.zeros(_BINS)
        self._bin_count = np.zeros(_BINS)

    def feed(self, block: npt.NDArray[np.float32]) -> float:
        """Measure the next block of the stream; returns its own K-weighted mean square (Σ over channels)."""
        if not len(block):
            return 0.0
        weighted, self._state = signal.lfilter(self._b, self._a, block.T, axis=-1, zi=self._state)
        squares = np.sum(np.square(weighted, dtype=np.float64), axis=0)
        position = 0
        while position < len(squares):
            take = min(len(squares) - position, HOP_SAMPLES - self._hop_fill)
            self._hop_energy += float(np.sum(squares[position : position + take]))
            self._hop_fill += take
            position += take
            if self._hop_fill == HOP_SAMPLES:
                self._hops.append(self._hop_energy / HOP_SAMPLES)
                self._hop_energy, self._hop_fill = 0.0, 0
                self._add_block()
        return float(np.mean(squares))

    def momentary(self) -> float:
        return self._gated(list(self._hops)[-self.MOMENTARY_HOPS :])

    def short_term(self) -> float:
        return self._gated(list(self._hops))

    def integrated(self) -> float:
        """Gated loudness of the stream so far (SILENCE until a 400 ms block passes the absolute gate)."""
        count = float(self._bin_count.sum())
        if count == 0.0:
            return SILENCE
        relative_gate = lufs(float(self._bin_energy.sum()) / count) - 10.0
        first = max(0, math.floor((relative_gate - ABSOLUTE_GATE_LUFS) * _BINS_PER_LU))
        count = float(self._bin_count[first:].sum())
        return lufs(float(self._bin_energy[first:].sum()) / count) if count else SILENCE

    def _add_block(self) -> None:
        if len(self._hops) < self.MOMENTARY_HOPS:
            return
        energy = sum(list(self._hops)[-self.MOMENTARY_HOPS :]) / self.MOMENTARY_HOPS
        level = lufs(energy)
        if level < ABSOLUTE_GATE_LUFS:
            return
        index = min(_BINS - 1, math.floor((level - ABSOLUTE_GATE_LUFS) * _BINS_PER_LU))
        self._bin_energy[index] += energy
        self._bin_count[index] += 1.0

    @staticmethod
    def _gated(hops: list[float]) -> float:
        if not hops:
            return SILENCE
        level = lufs(sum(hops) / len(hops))
        return level if level >= ABSOLUTE_GATE_LUFS else SILENCE
