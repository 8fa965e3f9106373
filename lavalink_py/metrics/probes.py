"""Runtime probes that must live inside the process: event-loop lag, GC pauses, thread-pool occupancy.

They are the Python stand-ins for the Tokio runtime metrics of the Lavalink Rust guide. Each keeps plain numbers
that the runtime collector reads on scrape.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from lavalink_py.metrics.counters import Histogram
from lavalink_py.metrics.inputs import ThreadPoolSnapshot

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

LAG_BUCKETS_S = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
GC_PAUSE_BUCKETS_S = (0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
GC_GENERATIONS = 3


class LagMonitor:
    """A task that asks to wake every `interval_s` and records how late it woke: the event loop's lag.

    It also counts asyncio tasks, because `asyncio.all_tasks()` may only be called on the loop and the scrape
    must not depend on which thread runs it; but only on the first tick and then every `tasks_every` ticks,
    since the count walks every task (three per WebSocket session): an idle node must not pay it 4 times a second.

    While `busy()` says no player is on the frame clock, it wakes every `idle_interval_s` instead: on this
    2-core KVM guest a wake-up of an idle process costs ~0.3 ms of CPU whatever it does (a bare asyncio loop
    sleeping at 4 Hz: 288 us per wake), and the 4 Hz ticks were ~70 % of the CPU of 1,000 idle sessions (0.06-0.07
    of 0.09 s over 40 s, issue 11). With players playing, the lag is what makes them stutter, so it is sampled
    at `interval_s`; an idle node's stall shorter than `idle_interval_s` may go unseen.
    """

    def __init__(
        self,
        interval_s: float = 0.25,
        window: int = 40,
        clock: Callable[[], float] = time.monotonic,
        tasks_every: int = 40,
        *,
        idle_interval_s: float | None = None,
        busy: Callable[[], bool] | None = None,
    ):
        self.interval_s = interval_s
        self.idle_interval_s = idle_interval_s
        self._busy = busy
        self.tasks_every = max(1, tasks_every)
        self.delays = Histogram(LAG_BUCKETS_S)
        self.last_lag_s = 0.0
        self.tasks = 0
        self.samples = 0
        self._recent: deque[float] = deque(maxlen=window)
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._tick = asyncio.Event()

    @property
    def recent_max_lag_s(self) -> float:
        """Worst lag over the last `window` ticks: a spike stays visible to health for ~window*interval."""
        return max(self._recent, default=0.0)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="metrics-lag-monitor")
            self._task.add_done_callback(_log_task_death)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait_for_samples(self, count: int) -> None:
        """Return once at least `count` ticks were recorded (tests wrap this in a timeout)."""
        while self.samples < count:
            self._tick.clear()
            await self._tick.wait()

    def current_interval_s(self) -> float:
        if self.idle_interval_s is None or self._busy is None or self._busy():
            return self.interval_s
        return self.idle_interval_s

    async def _run(self) -> None:
        interval = self.current_interval_s()
        expected = self._clock() + interval
        while True:
            await asyncio.sleep(interval)
            now = self._clock()
            count = self.samples % self.tasks_every == 0
            self.record(max(0.0, now - expected), len(asyncio.all_tasks()) if count else None)
            interval = self.current_interval_s()
            expected = now + interval

    def record(self, lag_s: float, tasks: int | None) -> None:
        """One tick; `tasks` None keeps the previous count (it is refreshed every `tasks_every` ticks)."""
        self.last_lag_s = lag_s
        self._recent.append(lag_s)
        self.delays.observe(lag_s)
        if tasks is not None:
            self.tasks = tasks
        self.samples += 1
        self._tick.set()


def _log_task_death(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background metrics task %s died", task.get_name(), exc_info=task.exception())


class GcMonitor:
    """Counts collections and times their pauses per generation through `gc.callbacks`.

    CPython runs one collection at a time (under the GIL), so start/stop pairs never interleave and plain
    attributes suffice, whichever thread triggers the collection.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.collections = [0] * GC_GENERATIONS
        self.collected = [0] * GC_GENERATIONS
        self.uncollectable = [0] * GC_GENERATIONS
        self.pauses = [Histogram(GC_PAUSE_BUCKETS_S) for _ in range(GC_GENERATIONS)]
        self._clock = clock
        self._started_at = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started_at = self._clock()
            return
        generation = int(info["generation"])
        if not 0 <= generation < GC_GENERATIONS:
            return
        self.collections[generation] += 1
        self.collected[generation] += int(info.get("collected", 0))
        self.uncollectable[generation] += int(info.get("uncollectable", 0))
        self.pauses[generation].observe(self._clock() - self._started_at)


class InstrumentedThreadPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that knows how many of its jobs wait and run (a ThreadPoolSource).

    The small lock is taken twice per submitted job (a batch of frames, a resolution), never per frame.
    """

    def __init__(self, pool_name: str, max_workers: int | None = None) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=pool_name)
        self._pool_name = pool_name
        self._counts_lock = threading.Lock()
        self._queued = 0
        self._active = 0

    @property
    def pool_name(self) -> str:
        return self._pool_name

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._counts_lock:
            self._queued += 1
        try:
            return super().submit(self._run_counted, fn, *args, **kwargs)
        except BaseException:
            with self._counts_lock:
                self._queued -= 1
            raise

    def _run_counted(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        with self._counts_lock:
            self._queued -= 1
            self._active += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with self._counts_lock:
                self._active -= 1

    def pool_stats(self) -> ThreadPoolSnapshot:
        with self._counts_lock:
            queued, active = self._queued, self._active
        return ThreadPoolSnapshot(
            max_workers=self._max_workers, threads=len(self._threads), active=active, queued=queued
        )
