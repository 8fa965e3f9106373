"""ITU-R BS.1770 loudness of 48 kHz stereo blocks, in numpy, for the loudness normaliser.

K-weighting is BS.1770's two biquads (a +4 dB shelf above ~1.5 kHz, then the RLB high-pass at ~38 Hz), with
the standard's 48 kHz coefficients. Running them sample by sample in Python would cost more than the Opus
encoder, so the weighting is applied in the frequency domain instead: by Parseval, a block's weighted mean
square is Σ |H(f_k)|² |X(f_k)|² / n² over its rFFT bins. That ignores the filters' memory across blocks, which
on 100 ms blocks (10 Hz bins) moves the result by well under 0.1 LU on music and noise; it agrees with FFmpeg's
`ebur128` (the test measures with it). Loudness = -0.691 + 10·log10(Σ over channels of mean squares) LUFS.

`LoudnessHistory` keeps the last 3 s as 100 ms hops (BS.1770's gating step) for the momentary (400 ms) and
short-term (3 s) loudness, each gated at -70 LUFS as the standard's absolute gate, and the integrated loudness
of everything fed so far: the 400 ms blocks (75 % overlap) gated at -70 LUFS, then at 10 LU below their mean.
The blocks are kept as a histogram of 0.1 LU bins (as libebur128 does), so memory and time stay bounded however
long the stream.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Final

import numpy as np
import numpy.typing as npt

SAMPLE_RATE: Final = 48_000
HOP_SAMPLES: Final = SAMPLE_RATE // 10
ABSOLUTE_GATE_LUFS: Final = -70.0
SILENCE: Final = -math.inf
_BINS_PER_LU: Final = 10
_BINS: Final = 80 * _BINS_PER_LU  # -70 to +10 LUFS
_CACHED_LENGTHS: Final = 16

# BS.1770-4 table 1 and 2 (48 kHz): b0, b1, b2 / 1, a1, a2.
_SHELF: Final = ((1.53512485958697, -2.69169618940638, 1.19839281085285), (-1.69065929318241, 0.73248077421585))
_HIGH_PASS: Final = ((1.0, -2.0, 1.0), (-1.99004745483398, 0.99007225036621))

Weights = npt.NDArray[np.float64]


def _response(n: int) -> Weights:
    """|H(f)|² of the K-weighting at each rFFT bin of an n-sample block, times Parseval's bin factor / n²."""
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(n))
    power = np.ones(len(z))
    for (b0, b1, b2), (a1, a2) in (_SHELF, _HIGH_PASS):
        power *= np.abs((b0 + b1 * z + b2 * z * z) / (1.0 + a1 * z + a2 * z * z)) ** 2
    factor = np.full(len(z), 2.0)
    factor[0] = 1.0
    if n % 2 == 0:
        factor[-1] = 1.0
    weights: Weights = power * factor / (n * n)
    return weights


class KWeighting:
    """Weighted mean square of blocks; the weights of each block length are computed once."""

    def __init__(self) -> None:
        self._weights: dict[int, Weights] = {}

    def mean_square(self, block: npt.NDArray[np.float32]) -> float:
        """Σ over channels of the K-weighted mean square of `block` (samples, channels)."""
        n = len(block)
        weights = self._weights.get(n)
        if weights is None:
            if len(self._weights) >= _CACHED_LENGTHS:
                self._weights.clear()  # block sizes are a few multiples of 20 ms; never let odd ones pile up
            weights = self._weights[n] = _response(n)
        spectrum = np.fft.rfft(block, axis=0)
        return float(np.sum(np.square(np.abs(spectrum)) * weights[:, None]))


def lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0.0 else SILENCE


class LoudnessHistory:
    """The last 3 s of a stream as 100 ms hops of K-weighted mean square."""

    MOMENTARY_HOPS: Final = 4
    SHORT_TERM_HOPS: Final = 30

    def __init__(self) -> None:
        self._weighting = KWeighting()
        self._hops: deque[float] = deque(maxlen=self.SHORT_TERM_HOPS)
        self._pending: list[npt.NDArray[np.float32]] = []
        self._pending_samples = 0
        self._bin_energy = np.zeros(_BINS)
        self._bin_count = np.zeros(_BINS)

    @property
    def weighting(self) -> KWeighting:
        return self._weighting

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        self._pending.append(block)
        self._pending_samples += len(block)
        if self._pending_samples < HOP_SAMPLES:
            return
        pcm = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
        whole = len(pcm) - len(pcm) % HOP_SAMPLES
        for start in range(0, whole, HOP_SAMPLES):
            self._hops.append(self._weighting.mean_square(pcm[start : start + HOP_SAMPLES]))
            self._add_block()
        rest = pcm[whole:]
        self._pending = [rest] if len(rest) else []
        self._pending_samples = len(rest)

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
