"""The frame clock's wake-up alone: how steady the tick starts are with no work in the tick, on this machine now.

    python -m bench.clock_wake [--seconds 10] [--realtime none|loop]

One FrameClock, one tickable that only stamps `time.perf_counter()`. Reported: the tick-start interval jitter
(|interval - 20 ms|) and the clock's own lateness record (tick run vs due), p50/p99/max; and first, for as long, a
bare thread sleeping with `time.sleep` to each 20 ms deadline (`thread_sleep_lateness`): what this machine gives
any thread that only sleeps, the floor under the clock. With the load average before and after. `--realtime loop`
is an experiment, not something the node does: the loop thread in SCHED_FIFO (lowest priority; needs
CAP_SYS_NICE), to show how much of the jitter under CPU contention is the kernel's scheduling of that thread.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from typing import Any

import numpy as np

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


def _bare_sleep_lateness(seconds: float) -> list[float]:
    """A plain thread (this one, before the loop runs) sleeping to each 20 ms deadline: how late each wake is."""
    late: list[float] = []
    start = time.monotonic()
    for n in range(1, int(seconds / FRAME_S) + 1):
        due = start + n * FRAME_S
        if (rest := due - time.monotonic()) > 0:
            time.sleep(rest)
        late.append(time.monotonic() - due)
    return late


def _fifo(thread_id: int) -> None:
    """SCHED_FIFO, lowest priority (needs CAP_SYS_NICE or RLIMIT_RTPRIO >= 1)."""
    os.sched_setscheduler(thread_id, os.SCHED_FIFO, os.sched_param(os.sched_get_priority_min(os.SCHED_FIFO)))


async def run(seconds: float, realtime: str, bare: list[float]) -> dict[str, Any]:
    if realtime == "loop":
        _fifo(threading.get_native_id())
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
        "thread_sleep_lateness": _ms(bare),
        "late_ticks": clock.late_ticks,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--realtime", choices=("none", "loop"), default="none")
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        before = f.read().strip()
    bare = _bare_sleep_lateness(args.seconds)
    result = asyncio.run(run(args.seconds, args.realtime, bare))
    with open("/proc/loadavg") as f:
        result |= {"loadavg_before": before, "loadavg_after": f.read().strip()}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
