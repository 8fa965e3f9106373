"""Frame constants and the buffer between a worker thread (producer) and the frame clock (consumer).

One producer appends a batch of frames from a pool thread; the event loop pops one frame per tick.
`collections.deque.append`/`popleft` are atomic under the GIL, so the hand-over needs no lock: the only
bound is enforced by the producer, which asks `free()` before decoding a batch and never overfills.
"""

from __future__ import annotations

from collections import deque

SAMPLE_RATE = 48_000
CHANNELS = 2
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000  # 960 per channel
PCM_FRAME_BYTES = FRAME_SAMPLES * CHANNELS * 2  # s16 interleaved
# One 20 ms Opus frame of silence (TOC + 2 bytes), what Discord expects before a pause in speech.
OPUS_SILENCE = b"\xf8\xff\xfe"


def frames_for_ms(duration_ms: int) -> int:
    """How many 20 ms frames cover `duration_ms` (at least one)."""
    return max(1, -(-duration_ms // FRAME_MS))


class FrameBuffer:
    """Bounded FIFO of encoded frames; safe for one producer thread and one consumer (the loop)."""

    __slots__ = ("_frames", "capacity")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._frames: deque[bytes] = deque()

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def frames(self) -> deque[bytes]:
        """The deque itself, the same for the buffer's life: a shared live stream's taps read it by index and the
        loop drops from its left what every tap has played (shared.py)."""
        return self._frames

    def free(self) -> int:
        return self.capacity - len(self._frames)

    def extend(self, frames: list[bytes]) -> None:
        # Producer side: callers ask free() first, so this never grows past capacity by more than a batch.
        self._frames.extend(frames)

    def split_tail(self, keep: int, before: int = 3) -> tuple[list[bytes], list[bytes]]:
        """Producer side: remove the frames after the first `keep` and return (up to `before` frames just before
        them, the removed frames in order). Taken from the right end, so the consumer popping the left is
        undisturbed."""
        tail: list[bytes] = []
        while len(self._frames) > keep:
            try:
                tail.append(self._frames.pop())
            except IndexError:
                break
        tail.reverse()
        return list(self._frames.copy())[-before:], tail

    def pop(self) -> bytes | None:
        try:
            return self._frames.popleft()
        except IndexError:
            return None

    def take_all(self) -> list[bytes]:
        """Producer side, when it is also the only consumer (a shared stream's own buffer): every frame, in order."""
        frames = list(self._frames)
        self._frames.clear()
        return frames

    def drop_oldest(self, count: int) -> int:
        """Producer side: drop up to `count` frames from the front (a live tap whose player does not consume);
        returns how many went (the consumer may have taken some meanwhile)."""
        dropped = 0
        for _ in range(count):
            try:
                self._frames.popleft()
            except IndexError:
                break
            dropped += 1
        return dropped

    def clear(self) -> None:
        self._frames.clear()
