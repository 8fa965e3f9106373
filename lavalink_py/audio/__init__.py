"""Audio engine: track media -> 20 ms Opus frames, sent by one node-wide frame clock.

Errors: `results.AudioError` is internal to a stream; callers see `StreamFailure` through
`PlaybackListener.on_track_exception`, never an exception.
"""

from lavalink_py.audio.clock import FrameClock
from lavalink_py.audio.engine import AudioEngine
from lavalink_py.audio.frame_loss import CAUSES, FrameLoss
from lavalink_py.audio.frames import FRAME_MS, FRAME_SAMPLES, OPUS_SILENCE, SAMPLE_RATE, FrameBuffer
from lavalink_py.audio.overload import OverloadSettings
from lavalink_py.audio.playback import Playback, PlaybackListener
from lavalink_py.audio.results import EndReason, FilterChain, Severity, StreamFailure
from lavalink_py.audio.settings import EngineSettings, ResamplingQuality
from lavalink_py.audio.sinks import CountingSink, FrameSink, RecordingSink

__all__ = [
    "CAUSES",
    "FRAME_MS",
    "FRAME_SAMPLES",
    "OPUS_SILENCE",
    "SAMPLE_RATE",
    "AudioEngine",
    "CountingSink",
    "EndReason",
    "EngineSettings",
    "FilterChain",
    "FrameBuffer",
    "FrameClock",
    "FrameLoss",
    "FrameSink",
    "OverloadSettings",
    "Playback",
    "PlaybackListener",
    "RecordingSink",
    "ResamplingQuality",
    "Severity",
    "StreamFailure",
]
