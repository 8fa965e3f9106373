"""Refreshes costly collectors' snapshots off the event loop, each every its own collection interval.

Each refresh runs in a fresh daemon thread. A thread cannot be killed, so a refresh that outlives the timeout is
abandoned: it is counted once as a timeout, no second refresh of that collector starts while it is still
running, and the guard skips the collector as stale until a refresh succeeds again. Daemon threads keep a hung
refresh from blocking interpreter exit (a ThreadPoolExecutor's workers would be joined at exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lavalink_py.metrics.guard import CollectorBook

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RefreshTarget:
    name: str
    refresh: Callable[[], None]
    interval_s: float
    inflight: asyncio.Future[None] | None = field(default=None, repr=False)


def run_in_daemon_thread(fn: Callable[[], None], name: str) -> asyncio.Future[None]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()

    def settle(error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)

    def target() -> None:
        error: BaseException | None = None
        try:
            fn()
        except BaseException as exc:  # handed to the awaiting task, which logs and counts it
            error = exc
        # The loop may be gone if the refresh hung past shutdown; nobody is waiting then.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=target, name=f"metrics-refresh-{name}", daemon=True).start()
    return future


class Refresher:
    def __init__(self, targets: Sequence[RefreshTarget], book: CollectorBook, timeout_s: float) -> None:
        self._targets = tuple(targets)
        self._book = book
        self._timeout_s = timeout_s
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Refresh everything once (so the first scrape has data), then keep refreshing in the background."""
        if self._tasks:
            return
        await self.refresh_all()
        for target in self._targets:
            task = asyncio.create_task(self._run(target), name=f"metrics-refresher-{target.name}")
            task.add_done_callback(_log_death)
            self._tasks.append(task)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def refresh_all(self) -> None:
        await asyncio.gather(*(self.refresh_once(t) for t in self._targets))

    async def refresh_once(self, target: RefreshTarget) -> bool:
        """One refresh of `target`; True if it completed in time."""
        if target.inflight is not None and not target.inflight.done():
            return False  # still hung from an earlier round, already counted as a timeout
        future = run_in_daemon_thread(target.refresh, target.name)
        target.inflight = future
        try:
            await asyncio.wait_for(asyncio.shield(future), self._timeout_s)
        except TimeoutError:
            self._book.failed(target.name, "timeout", self._timeout_s)
            log.warning("refresh of collector %s exceeded %.3fs; abandoned", target.name, self._timeout_s)
            future.add_done_callback(_consume)
            return False
        except Exception:
            news = self._book.failed(target.name, "exception")
            # The traceback once per change of state, not every interval.
            log.log(
                logging.WARNING if news else logging.DEBUG, "refresh of collector %s failed", target.name, exc_info=True
            )
            return False
        return True

    async def _run(self, target: RefreshTarget) -> None:
        while True:
            await asyncio.sleep(target.interval_s)
            await self.refresh_once(target)


def _consume(future: asyncio.Future[None]) -> None:
    # An abandoned refresh that later fails must not warn "exception was never retrieved".
    if not future.cancelled() and future.exception() is not None:
        log.warning("abandoned refresh finished with an error", exc_info=future.exception())


def _log_death(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("metrics refresher task %s died", task.get_name(), exc_info=task.exception())
