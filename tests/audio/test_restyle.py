"""Re-volumed buffered frames (a live stream's volume change) keep their time and take the new level."""

from __future__ import annotations

import numpy as np
import pytest

from lavalink_py.audio.pcm import OpusEncoder
from lavalink_py.audio.restyle import FrameRestyler
from tests.audio.media import best_lag, decode_opus, rms, sweep


def test_restyled_frames_decode_to_the_same_time_at_the_new_level() -> None:
    mono = (sweep(1.0, 48_000) * 32767).astype(np.int16)
    frames = OpusEncoder(10, 128_000).encode(np.ascontiguousarray(np.stack([mono, mono], axis=1)))
    kept, tail = frames[:10], frames[10:]
    restyler = FrameRestyler(kept[-3:], 100, 50, 10, 128_000)
    restyled = [out for start in range(0, len(tail), 5) for out in restyler.restyle(tail[start : start + 5])]
    assert len(restyled) == len(tail) - 1  # the last one is kept as it was by the caller
    original = decode_opus(frames)[:, 0]
    changed = decode_opus([*kept, *restyled, tail[-1]])[:, 0]
    assert len(changed) == len(original)
    span = slice(11 * 960, (len(frames) - 2) * 960)  # from the frame after the seam
    assert best_lag(changed[span], original[span]) == 0  # not one sample earlier or later
    assert 20 * np.log10(rms(changed[span]) / rms(original[span])) == pytest.approx(-7.6, abs=0.2)
    noise = changed[span] - 0.4169 * original[span]
    assert 20 * np.log10(rms(0.4169 * original[span]) / rms(noise)) >= 20


def test_a_change_back_divides_the_old_volume_out() -> None:
    mono = (0.4169 * sweep(0.5, 48_000) * 32767).astype(np.int16)
    frames = OpusEncoder(10, 128_000).encode(np.ascontiguousarray(np.stack([mono, mono], axis=1)))
    restyler = FrameRestyler(frames[:3], 50, 100, 10, 128_000)
    restyled = restyler.restyle(frames[3:])
    louder = decode_opus([*frames[:3], *restyled, frames[-1]])[:, 0]
    quiet = decode_opus(frames)[:, 0]
    span = slice(4 * 960, (len(frames) - 2) * 960)  # from the frame after the seam
    assert 20 * np.log10(rms(louder[span]) / rms(quiet[span])) == pytest.approx(7.6, abs=0.2)
