"""Engine settings, built by the lead from Lavalink's `lavalink.server.*` keys."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum

from lavalink_py.audio.frames import FRAME_MS, frames_for_ms
from lavalink_py.audio.overload import OverloadSettings


class ResamplingQuality(Enum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


@dataclass(frozen=True, slots=True)
class EngineSettings:
    frame_buffer_ms: int = 5000  # frameBufferDurationMs
    opus_quality: int = 10  # opusEncodingQuality, libopus complexity 0..10
    resampling: ResamplingQuality = ResamplingQuality.LOW  # resamplingQuality
    stuck_threshold_ms: int = 10_000  # trackStuckThresholdMs
    workers: int = os.cpu_count() or 2  # decode/encode pool size (cores)
    open_workers: int = 16  # pool for opening sources (blocking network I/O)
    opus_bitrate: int = 128_000
    batch_ms: int = 1000  # decoded per worker job once a stream runs
    first_batch_ms: int = 300  # the first job decodes little (first frame is quick) but enough to cover the queue
    share_live_streams: bool = True  # shareLiveStreams: one decode/encode per live source and settings (shared.py)
    # Lower the Opus complexity before losing frames (overload.py).
    overload: OverloadSettings = field(default_factory=OverloadSettings)

    def __post_init__(self) -> None:
        if not 0 <= self.opus_quality <= 10:
            raise ValueError(f"opus_quality must be 0..10, got {self.opus_quality}")
        if self.frame_buffer_ms < FRAME_MS:
            raise ValueError(f"frame_buffer_ms must be >= {FRAME_MS}, got {self.frame_buffer_ms}")

    @property
    def buffer_frames(self) -> int:
        return frames_for_ms(self.frame_buffer_ms)

    @property
    def batch_frames(self) -> int:
        return min(self.buffer_frames, frames_for_ms(self.batch_ms))

    @property
    def first_batch_frames(self) -> int:
        return min(self.buffer_frames, frames_for_ms(self.first_batch_ms))
