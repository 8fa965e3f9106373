"""Player volume as lavaplayer applies it (`filter/volume/PcmVolumeProcessor`): bots tuned on Lavalink sound the same.

The curve: up to 150 the multiplier is tan(volume * 0.0079), fixed-point with 4 decimals (0 -> silence, 50 -> 0.4169
= -7.6 dB, 100 -> unity, 150 -> 2.4621 = +7.8 dB); above 150 it grows linearly from there (24621 * volume / 150,
200 -> +10.3 dB, 1000 -> +24.3 dB). Each s16 sample becomes sample * multiplier / 10000, truncated towards zero as
Java's int division does, then clamped to the s16 range.

Float arithmetic follows Java's: `volume * 0.0079f` is a float product, `Math.tan` runs in double, its result goes
back to float before `* 10000` (float) and the truncating int cast; numpy's float32 gives the same values.
One deliberate difference: Java multiplies in 32-bit ints, so above ~volume 400 a loud sample's product wraps around
(e.g. |sample| > 13083 at 1000) and comes out as noise; we multiply in 64 bits, so it clips as the clamp intends.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

UNITY = 100
MAX_VOLUME = 1000
_FIXED_ONE = 10_000
_TAN_STEP = np.float32(0.0079)


def volume_multiplier(volume: int) -> int:
    """lavaplayer's fixed-point multiplier (10000 = unity) for a volume 0..1000; 100 is never scaled."""
    if not 0 <= volume <= MAX_VOLUME:
        raise ValueError(f"volume must be 0..{MAX_VOLUME}, got {volume}")
    if volume == UNITY:
        return _FIXED_ONE  # lavaplayer skips the loop at 100 (its formula would give 10092 there)
    if volume <= 150:
        step = float(np.float32(volume) * _TAN_STEP)
        return int(np.float32(math.tan(step)) * np.float32(_FIXED_ONE))
    return 24_621 * volume // 150


def volume_gain_db(volume: int) -> float:
    """The gain a volume gives before clipping, in dB (-inf at 0)."""
    multiplier = volume_multiplier(volume)
    return -math.inf if multiplier == 0 else 20 * math.log10(multiplier / _FIXED_ONE)


def change_volume(block: npt.NDArray[np.int16], old: int, new: int) -> npt.NDArray[np.int16]:
    """Samples made at volume `old` brought to `new` (lavaplayer's `applyVolume(initial, target)`): the old
    multiplier is divided out first, except at 0, where nothing is left to recover."""
    multiplier = volume_multiplier(old)
    if multiplier not in (0, _FIXED_ONE):
        product = block.astype(np.int64) * _FIXED_ONE
        block = np.clip(np.sign(product) * (np.abs(product) // multiplier), -32768, 32767).astype(np.int16)
    return apply_volume(block, new)


def apply_volume(block: npt.NDArray[np.int16], volume: int) -> npt.NDArray[np.int16]:
    """`block` (any shape of s16 samples) at `volume`; volume 100 returns it untouched."""
    multiplier = volume_multiplier(volume)
    if multiplier == _FIXED_ONE:
        return block
    product = block.astype(np.int64) * multiplier
    # Java's `/` truncates towards zero; numpy's `//` floors, so divide magnitudes and restore the sign.
    scaled = np.sign(product) * (np.abs(product) // _FIXED_ONE)
    clipped: npt.NDArray[np.int16] = np.clip(scaled, -32768, 32767).astype(np.int16)
    return clipped
