"""Where frames go. Voice implements `FrameSink` without importing audio; tests and bench use these two."""

from __future__ import annotations

from typing import Protocol


class FrameSink(Protocol):
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

    def send_frame(self, frame: bytes) -> None:
        self.frames.append(frame)

    def send_silence(self) -> None:
        self.silences += 1


class CountingSink:
    __slots__ = ("bytes", "frames", "silences")

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0
        self.silences = 0

    def send_frame(self, frame: bytes) -> None:
        self.frames += 1
        self.bytes += len(frame)

    def send_silence(self) -> None:
        self.silences += 1
