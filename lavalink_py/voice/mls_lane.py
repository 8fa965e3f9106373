"""MlsLane: where DAVE's MLS work (key packages, proposals -> commit, commits, welcomes) runs, beside the clock.

Measured (issue 11; `bench/dave_mls.py`, BENCHMARKS.md "DAVE epoch changes"): davey's calls cost 1-5 ms of
CPU each (op 27 proposals -> commit ~4 ms, op 29 commit ~1 ms, op 4/24 re-init + key package ~2 ms, op 25 ~1 ms).
What stalls the clock is their number: when members join or leave in many calls at once, every connection's
MLS calls become due in the same loop iteration, 100 calls x 3 calls x several ms = over a second with no packet
sent if they ran back to back on the loop.

One lane per node process; every call runs on the loop's thread, FIFO, and the lane spends at most `budget_s`
of MLS calls per `window_s` (one frame): once the budget is spent, the next call waits for the next window, which
lets the clock's tick run in between. A stall is then bounded by the budget plus one call.

`threaded=True` runs the calls in which davey releases the GIL (ops 27, 29, 30: DaveAdapter.begin_binary) on the
lane's one thread instead (`offload`), FIFO, their outcome applied on the loop afterwards (MlsCall.finish). It is
not the default: in 6 alternating pairs on a quiet machine (2026-12-03, BENCHMARKS.md "The MLS lane's thread
against paced calls"), the largest send gap was 28-81 ms with the thread (4 of 6 over 40 ms) against 28-41 ms paced
on the loop (1 of 6); a shorter GIL switch interval did not help, and with the thread the tick itself took up to
48 ms: davey holds the GIL for parts of those calls, and the tick waits for it. The budget stays 8 ms: 4 ms
brought the most CPU between two ticks from 26 to 16 ms and the largest gap from 29-30 to 24-26 ms (3 pairs), but
300 connections' handshakes then took 20.5 s instead of 13.0 s (9.6 s with the thread), and at 8 ms on the loop
the gap stayed under 40 ms in 10 of 11 single runs that day (27.8-33.4 ms; one 40.5 ms).
Per connection, order stays strict because its dispatcher (connection.py) awaits each call before the next
message; frames meanwhile keep going out with the current epoch's keys.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

WINDOW_S = 0.02  # one frame
BUDGET_S = 0.008  # MLS work allowed per window; one call (~1-5 ms of CPU) may overrun it once


@dataclass(slots=True)
class LaneStats:
    calls: int = 0  # all of them, on the loop or on the lane's thread
    deferred: int = 0  # calls that waited for a later window because the budget was spent
    busy_s: float = 0.0  # wall time inside the calls run on the loop (what the clock waited)
    cpu_s: float = 0.0  # the loop thread's CPU time inside them (wall - CPU = the process waiting for a core)
    offloaded: int = 0  # of `calls`, those run on the lane's thread
    thread_s: float = 0.0  # their wall time from submission to result, queueing included (the loop ran on)


class MlsLane:
    def __init__(
        self,
        budget_s: float = BUDGET_S,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.perf_counter,
        threaded: bool = False,
    ) -> None:
        self.budget_s = budget_s
        self.window_s = window_s
        # True: ops 27/29/30 on the lane's thread (bench/dave_epochs.py --offload on; worse, see above).
        self.threaded = threaded
        self.stats = LaneStats()
        self._clock = clock
        self._lock = asyncio.Lock()  # FIFO: calls run in the order they arrived
        self._window_start = 0.0
        self._spent = 0.0
        self._thread: concurrent.futures.ThreadPoolExecutor | None = None

    async def run(self, call: Callable[[], T]) -> T:
        """Runs `call` on the loop's thread when the lane's budget allows; its result or exception is returned."""
        async with self._lock:
            now = self._clock()
            if now - self._window_start >= self.window_s:
                self._window_start, self._spent = now, 0.0
            elif self._spent >= self.budget_s:
                self.stats.deferred += 1
                await asyncio.sleep(max(0.0, self._window_start + self.window_s - now))
                self._window_start, self._spent = self._clock(), 0.0
            began, began_cpu = self._clock(), time.thread_time()
            try:
                return call()
            finally:
                elapsed = self._clock() - began
                self._spent += elapsed
                self.stats.calls += 1
                self.stats.busy_s += elapsed
                self.stats.cpu_s += time.thread_time() - began_cpu

    async def offload(self, call: Callable[[], None], then: Callable[[], None]) -> None:
        """Runs `call` on the lane's thread, then `then` on the loop. Cancelled meanwhile, the call still ends
        on the thread and `then` still runs after it (the davey session has moved on: its outcome must be
        applied, and before anything of that connection that comes later, which queues behind it)."""
        if not self.threaded:
            await self.run(call)
            then()
            return
        if self._thread is None:
            self._thread = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="dave-mls")
        began = self._clock()
        future = asyncio.get_running_loop().run_in_executor(self._thread, call)
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(lambda _f: then())
            raise
        finally:
            self.stats.calls += 1
            self.stats.offloaded += 1
            self.stats.thread_s += self._clock() - began
        then()


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MlsLane] = weakref.WeakKeyDictionary()


def shared_lane() -> MlsLane:
    """The running loop's lane: one per node process, shared by all its voice connections."""
    loop = asyncio.get_running_loop()
    lane = _lanes.get(loop)
    if lane is None:
        lane = _lanes[loop] = MlsLane()
    return lane
