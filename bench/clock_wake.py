"""The frame clock's wake-up alone: how steady the tick starts are with no work in the tick, on this machine now.

    python -m bench.clock_wake [--seconds 10] [--realtime none|waker|both]

One FrameClock, one tickable that only stamps `time.perf_counter()`. Reported: the tick-start interval jitter
(|interval - 20 ms|), the clock's own lateness record (loop woken vs due) and the waker thread's lateness (its
`time.sleep` returning vs due), p50/p99/max, with the load average before and after. `--realtime` is an experiment,
not something the node does: `waker` puts the waker thread in SCHED_FIFO (lowest priority; needs CAP_SYS_NICE),
`both` the loop thread too. It shows how much of the tick-start jitter under CPU contention is the kernel's
scheduling of each of the two threads (each tick wakes both) rather than anything the clock's code does.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import threading
import time
from typing import Any, ClassVar

import numpy as np

from lavalink_py.audio import clock as clock_module
from lavalink_py.audio.clock import SENT, FrameClock

FRAME_S = 0.02


def _ms(values: list[float]) -> dict[str, float]:
    array = np.asarray(values) * 1000
    return {f"p{q}_ms": round(float(np.percentile(array, q)), 3) for q in (50, 99)} | {
        "max_ms": round(float(array.max()), 3)
    }


class _Stamp:
    def __init__(self) -> None:
        self.times: list[float] = []

    def tick(self) -> int:
        self.times.append(time.perf_counter())
        return SENT


class _TimedLoop:
    """The loop as the waker thread sees it: records, at the thread's call after its sleep, how late that is."""

    def __init__(self, loop: asyncio.AbstractEventLoop, late: list[float]) -> None:
        self._loop = loop
        self.late = late
        self.dues: collections.deque[float] = collections.deque()

    def create_future(self) -> asyncio.Future[None]:
        return self._loop.create_future()

    def call_soon_threadsafe(self, callback: Any, *args: Any) -> asyncio.Handle:
        self.late.append(time.monotonic() - self.dues.popleft())  # the waker serves its requests in order
        return self._loop.call_soon_threadsafe(callback, *args)


class _TimedWaker(clock_module.DeadlineWaker):
    """The clock's own waker thread, also timing the first of the two wake-ups (and, asked, in SCHED_FIFO)."""

    late: ClassVar[list[float]] = []
    realtime: ClassVar[bool] = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timed = _TimedLoop(loop, self.late)
        super().__init__(self._timed)  # type: ignore[arg-type]  # the two methods the waker calls
        if self.realtime:
            _fifo(self.thread.native_id or 0)

    def sleep_until(self, due: float) -> asyncio.Future[None]:
        self._timed.dues.append(due)
        return super().sleep_until(due)


def _fifo(thread_id: int) -> None:
    """SCHED_FIFO, lowest priority (needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 1)."""
    os.sched_setscheduler(thread_id, os.SCHED_FIFO, os.sched_param(os.sched_get_priority_min(os.SCHED_FIFO)))


async def run(seconds: float, realtime: str) -> dict[str, Any]:
    _TimedWaker.realtime = realtime in ("waker", "both")
    if realtime == "both":
        _fifo(threading.get_native_id())
    clock_module.DeadlineWaker = _TimedWaker  # type: ignore[misc]  # bench only: the same waker, timed
    clock = FrameClock()
    stamp = _Stamp()
    clock.add(stamp)
    clock.start()
    await asyncio.sleep(seconds)
    await clock.stop()
    starts = np.diff(np.asarray(stamp.times))
    return {
        "seconds": seconds,
        "realtime": realtime,
        "ticks": len(stamp.times),
        "tick_start_jitter": _ms([abs(v - FRAME_S) for v in starts]),
        "loop_lateness": _ms([us / 1e6 for us in clock.lateness_us]),
        "waker_thread_lateness": _ms(_TimedWaker.late),
        "late_ticks": clock.late_ticks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--realtime", choices=("none", "waker", "both"), default="none")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        before = f.read().strip()
    result = asyncio.run(run(args.seconds, args.realtime))
    with open("/proc/loadavg") as f:
        result |= {"loadavg_before": before, "loadavg_after": f.read().strip()}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
