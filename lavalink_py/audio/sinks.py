"""Where frames go. Voice implements `FrameSink` without importing audio; tests and bench use these two."""

from __future__ import annotations

from typing import Protocol


class FrameSink(Protocol):
    @property
    def ready(self) -> bool:
        """Whether a frame handed over now reaches the listeners (voice up, DAVE group joined). While it is not,
        the playback keeps its frames in the buffer and the position stands still, as Lavalink does."""
        ...

    def send_frame(self, frame: bytes) -> None:
        """One 20 ms Opus frame; called on the event loop by the frame clock. Must not block."""
        ...

    def send_silence(self) -> None:
        """Speech paused (pause, stop, end, starved): send Discord's silence frames and clear `speaking`."""
        ...


class RecordingSink:
    """Keeps every frame in arrival order (tests decode them) and counts end-of-speech calls."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.silences = 0
        self.ready = True  # tests set it False to stand for a voice connection that is not ready

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def send_silence(self) -> None:
        self.silences += 1


class CountingSink:
    __slots__ = ("bytes", "frames", "ready", "silences")

    def __init__(self) -> None:
        self.ready = True
        self.frames = 0
        self.bytes = 0
        self.silences = 0

    def send_frame(self, frame: bytes) -> None:
        self.frames += 1
        self.bytes += len(frame)

    def send_silence(self) -> None:
        self.silences += 1
