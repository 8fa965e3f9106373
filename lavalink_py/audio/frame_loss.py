"""Why a frame was late or missing: every lost frame of a player is counted under one cause.

Causes (`CAUSES`, also the `cause` label of `lavalink_player_frames_lost_total` and the keys of the player's
`frameLoss` stats):
- `sourceUnderrun`: the buffer was empty while the stream's refill waited on its source (network, disk), judged
  by the stream's last finished refill (below);
- `encoderLate`: the buffer was empty while the refill was queued behind other streams' jobs in the pool, or the
  refill's thread spent its time running or waiting for a core rather than blocked on I/O;
- `sendLate`: the frame was made but the voice connection could not send it (no session, DAVE withheld it, the
  socket failed): read from the connection's counters by the player, not counted here;
- `eventLoopLag`: the frame clock woke more than a tick late and skipped ticks (something held the event loop);
- `gcPause`: as eventLoopLag, or an empty buffer, while a garbage collection (timed with `gc.callbacks`) covered
  at least half a tick of the window.

Where a refill spends its time comes from Linux's per-thread scheduler statistics (/proc/thread-self/schedstat:
time on a core and time runnable but waiting for one); what is left of the wall time was spent blocked, i.e. on
I/O. Without that file the thread's CPU time stands in for both (then a starved encoder may read as I/O).
Hot path: plain int fields, bumped only when a frame is lost; nothing here runs for a frame that was sent.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

SOURCE_UNDERRUN = "sourceUnderrun"
ENCODER_LATE = "encoderLate"
SEND_LATE = "sendLate"
EVENT_LOOP_LAG = "eventLoopLag"
GC_PAUSE = "gcPause"
CAUSES = (SOURCE_UNDERRUN, ENCODER_LATE, SEND_LATE, EVENT_LOOP_LAG, GC_PAUSE)
GC_WINDOWS = 64
_SCHEDSTAT = "/proc/thread-self/schedstat"


class FrameLoss:
    """Frames lost, by cause (sendLate excepted: the voice connection counts it)."""

    __slots__ = ("encoder_late", "event_loop_lag", "gc_pause", "source_underrun")

    def __init__(self) -> None:
        self.source_underrun = 0
        self.encoder_late = 0
        self.event_loop_lag = 0
        self.gc_pause = 0

    def add(self, cause: str, frames: int = 1) -> None:
        if cause == SOURCE_UNDERRUN:
            self.source_underrun += frames
        elif cause == ENCODER_LATE:
            self.encoder_late += frames
        elif cause == EVENT_LOOP_LAG:
            self.event_loop_lag += frames
        elif cause == GC_PAUSE:
            self.gc_pause += frames
        else:
            raise ValueError(f"not a cause counted here: {cause}")

    def as_dict(self, send_late: int = 0) -> dict[str, int]:
        return {
            SOURCE_UNDERRUN: self.source_underrun,
            ENCODER_LATE: self.encoder_late,
            SEND_LATE: send_late,
            EVENT_LOOP_LAG: self.event_loop_lag,
            GC_PAUSE: self.gc_pause,
        }


class GcWatch:
    """Times collections through `gc.callbacks`: the last GC_WINDOWS (start, end) pairs, time.monotonic seconds
    (the event loop's clock). `install` once per engine; `uninstall` on close."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._started: float | None = None
        self.windows: deque[tuple[float, float]] = deque(maxlen=GC_WINDOWS)
        self.collections = 0
        self.paused_s = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = self._now()
        elif self._started is not None:
            end = self._now()
            self.windows.append((self._started, end))
            self.collections += 1
            self.paused_s += end - self._started
            self._started = None

    def overlap_s(self, since: float, until: float) -> float:
        """Seconds of collection inside [since, until] (one in progress counts up to `until`)."""
        total = 0.0
        for start, end in reversed(self.windows):  # newest first: the windows before `since` are never read
            if end < since:
                break
            total += max(0.0, min(end, until) - max(start, since))
        if self._started is not None:
            total += max(0.0, until - max(self._started, since))
        return total


class LateTicks(Protocol):
    @property
    def late_ticks(self) -> int: ...

    @property
    def tick_s(self) -> float: ...


class LossContext:
    """Node-wide: the frame clock's skipped-tick count, the GC watch and the totals of every player (including
    removed ones) that /metrics exports. One per engine, shared by its playbacks."""

    def __init__(self, clock: LateTicks, gc_watch: GcWatch, now: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.gc = gc_watch
        self.totals = FrameLoss()
        # Of totals.encoder_late, the frames streams missed while filling up after a start, seek or in-place change
        # (Playback's start-up grace): the overload policy reads encoder_late less these as pressure.
        self.encoder_late_filling = 0
        self._now = now
        self._cause_at: tuple[int, str] = (-1, EVENT_LOOP_LAG)

    @property
    def encoder_late_pressure(self) -> int:
        """Frames lost to late encoders (every player's, so far) outside any stream's start-up grace."""
        return self.totals.encoder_late - self.encoder_late_filling

    def skipped_cause(self, late_ticks: int, skipped: int) -> str:
        """The cause of the ticks skipped up to clock count `late_ticks`, decided once for every player."""
        seen, cause = self._cause_at
        if seen != late_ticks:
            until = self._now()
            window = (skipped + 1) * self.clock.tick_s
            cause = GC_PAUSE if self.gc.overlap_s(until - window, until) >= self.clock.tick_s / 2 else EVENT_LOOP_LAG
            self._cause_at = (late_ticks, cause)
        return cause

    def in_gc(self) -> bool:
        until = self._now()
        return self.gc.overlap_s(until - self.clock.tick_s, until) >= self.clock.tick_s / 2


class PlayerLoss:
    """One playback's counters and the bookkeeping to attribute skipped ticks to it (it was playing before)."""

    __slots__ = ("context", "counts", "late_seen")

    def __init__(self, context: LossContext) -> None:
        self.context = context
        self.counts = FrameLoss()
        self.late_seen = context.clock.late_ticks

    def lose(self, cause: str, frames: int = 1) -> None:
        self.counts.add(cause, frames)
        self.context.totals.add(cause, frames)

    def ticks_skipped(self, playing: bool) -> None:
        """The clock skipped ticks since this playback's last tick; each owed it a frame if it was playing."""
        late = self.context.clock.late_ticks
        skipped, self.late_seen = late - self.late_seen, late
        if playing and skipped > 0:
            self.lose(self.context.skipped_cause(late, skipped), skipped)

    def missed(self, job: FillJob | None, *, filling: bool = False) -> str:
        """An empty buffer on a tick that owed a frame: `job` is the stream's latest refill; `filling`: the stream
        is still filling up after its start (not counted as pressure when the cause is encoderLate)."""
        cause = GC_PAUSE if self.context.in_gc() else miss_cause(job)
        self.lose(cause)
        if filling and cause == ENCODER_LATE:
            self.context.encoder_late_filling += 1
        return cause


def miss_cause(job: FillJob | None) -> str:
    if job is None:
        return SOURCE_UNDERRUN
    if not job.started:
        return ENCODER_LATE  # queued behind other streams' jobs: the pool is short of workers or cores
    io_bound = job.io_bound if job.io_bound is not None else job.previous_io_bound
    return SOURCE_UNDERRUN if io_bound is None or io_bound else ENCODER_LATE


class FillJob:
    """One refill of a stream, run in a pool thread: records whether it started and where its time went."""

    __slots__ = ("io_bound", "measure", "previous_io_bound", "started")

    def __init__(self, previous: FillJob | None, *, measure: bool = True) -> None:
        # measure=False (passthrough: a demux and a copy per frame, nothing to starve) spares the two /proc reads.
        self.measure = measure
        self.started = False
        self.io_bound: bool | None = None  # set when it finishes: more time blocked than running or runnable
        self.previous_io_bound = None if previous is None else _known(previous)

    def run(self, fill: Callable[[int], None], frames: int) -> None:
        self.started = True
        if not self.measure:
            fill(frames)
            return
        wall0, (run0, wait0) = time.monotonic_ns(), _thread_times()
        try:
            fill(frames)
        finally:
            wall = time.monotonic_ns() - wall0
            run1, wait1 = _thread_times()
            busy = (run1 - run0) + (wait1 - wait0)
            self.io_bound = wall - busy > busy


def _known(job: FillJob) -> bool | None:
    return job.io_bound if job.io_bound is not None else job.previous_io_bound


def _thread_times() -> tuple[int, int]:
    """(ns on a core, ns runnable waiting for one) of the calling thread."""
    try:
        with open(_SCHEDSTAT, "rb") as f:
            run, wait, _ = f.read().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return time.thread_time_ns(), 0


class _NoClock:
    """A playback made without an engine (tests, benchmarks of one stream): no clock, so no skipped ticks."""

    late_ticks = 0
    tick_s = 0.02


def standalone_loss() -> PlayerLoss:
    return PlayerLoss(LossContext(_NoClock(), GcWatch()))
