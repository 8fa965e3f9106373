"""MlsLane: where DAVE's MLS work (key packages, proposals -> commit, commits, welcomes) runs, paced beside the clock.

Measured (issue 11; `bench/dave_mls.py`, BENCHMARKS.md "DAVE epoch changes"): davey's calls cost 1-5 ms of
CPU each (op 27 proposals -> commit ~4 ms, op 29 commit ~1 ms, op 4/24 re-init + key package ~2 ms, op 25 ~1 ms).
What stalls the clock is their number: when members join or leave in many calls at once, every connection's reader
becomes ready in the same loop iteration and their MLS calls run back to back before the clock's timer, 100 calls x
3 calls x several ms = over a second with no packet sent (and the clock skips those ticks). davey releases the GIL
inside ops 27 and 29 (a spinning thread keeps ~0.9 of its speed), so running them on a thread is the next step;
it needs the gateway and DaveAdapter state they touch (the outbound queue the writer drains, the roster op 11/13
update) kept to one thread, which this lane does not yet do: it runs the calls on the loop's thread.

So every MLS call of the node goes through one lane, in arrival order, and the lane spends at most `budget_s`
of MLS work per `window_s` (one frame): once the budget is spent, the next call waits for the next window, which
lets the clock's tick run in between. A stall is then bounded by the budget plus one call. Per connection, order
stays strict because its reader awaits each call before reading the next message; frames meanwhile keep going
out with the current epoch's keys (DAVE executes a transition only on op 22, after the commit is applied).
"""

from __future__ import annotations

import asyncio
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
    calls: int = 0
    deferred: int = 0  # calls that waited for a later window because the budget was spent
    busy_s: float = 0.0  # wall time inside the calls (what the clock waited)
    cpu_s: float = 0.0  # this thread's CPU time inside them (wall - CPU = the process waiting for a core)


class MlsLane:
    def __init__(
        self,
        budget_s: float = BUDGET_S,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.budget_s = budget_s
        self.window_s = window_s
        self.stats = LaneStats()
        self._clock = clock
        self._lock = asyncio.Lock()  # FIFO: calls run in the order they arrived
        self._window_start = 0.0
        self._spent = 0.0

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


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MlsLane] = weakref.WeakKeyDictionary()


def shared_lane() -> MlsLane:
    """The running loop's lane: one per node process, shared by all its voice connections."""
    loop = asyncio.get_running_loop()
    lane = _lanes.get(loop)
    if lane is None:
        lane = _lanes[loop] = MlsLane()
    return lane
