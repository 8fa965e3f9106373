"""bench/transcode_cost.py's ceiling: the pipeline filled on every thread at once, at complexity 10 and at the
overload ladder's last step (what it measures is in BENCHMARKS.md; here only that it runs and counts frames)."""

from __future__ import annotations

from pathlib import Path

from bench.audio import write_sweep
from bench.transcode_cost import ceiling, pool_frames_per_s
from lavalink_py.audio.overload import EncoderLevel, OverloadSettings


def test_the_ceiling_fills_a_stream_per_thread_at_both_levels(tmp_path: Path) -> None:
    mp3 = write_sweep(tmp_path / "sweep.mp3", "libmp3lame", 44_100, 1.0)
    bottom = OverloadSettings().ladder(10, 128_000)[-1]
    assert bottom == EncoderLevel(0, 64_000)
    top = ceiling(mp3, bottom, rounds=1, threads=2)
    assert top.threads == 2 and top.rounds == 1
    assert top.top > 0 and top.bottom > 0
    assert top.bottom_level == bottom


def test_a_stream_that_ends_is_opened_again_until_the_frames_are_made(tmp_path: Path) -> None:
    mp3 = write_sweep(tmp_path / "sweep.mp3", "libmp3lame", 44_100, 0.5)  # ~25 frames a stream
    assert pool_frames_per_s(mp3, EncoderLevel(10), threads=1, frames=60) > 0
