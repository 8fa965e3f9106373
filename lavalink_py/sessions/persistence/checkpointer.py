"""Checkpoints: a snapshot read on the event loop, written by the store in one thread of its own, so the loop never
waits on the disk. At most one write is in flight; a tick that finds one skips (the next writes newer state)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.persistence.snapshot import take_snapshot
from lavalink_py.sessions.persistence.store import SessionStore

log = logging.getLogger(__name__)

WriteObserver = Callable[[float, int, bool], None]
"""Told of each write: seconds it took in the thread, players written, and whether it succeeded."""


class Checkpointer:
    def __init__(self, store: SessionStore, sessions: SessionManager, observe: WriteObserver | None = None) -> None:
        self.store = store
        self._sessions = sessions
        self._observe = observe
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="persistence")
        self._in_flight: asyncio.Future[None] | None = None
        self._failing = False
        self.closed = False

    def tick(self) -> None:
        """The periodic checkpoint (playerUpdate cadence): start a write unless one is still running."""
        if self.closed or (self._in_flight is not None and not self._in_flight.done()):
            return
        self._in_flight = asyncio.ensure_future(self._write())

    async def final(self) -> None:
        """At shutdown: wait for a running write, write every player at its exact position, then stop writing."""
        if self.closed:
            return
        if self._in_flight is not None:
            await asyncio.shield(self._in_flight)
        self.closed = True
        await self._write()
        await asyncio.get_running_loop().run_in_executor(self._thread, self.store.close)
        self._thread.shutdown(wait=False)

    async def _write(self) -> None:
        snapshot = take_snapshot(self._sessions, int(time.time() * 1000))
        players = sum(len(s.players) for s in snapshot)

        def write() -> tuple[float, bool]:
            started = time.perf_counter()
            wrote = self.store.write(snapshot)
            return time.perf_counter() - started, wrote

        loop = asyncio.get_running_loop()
        try:
            seconds, wrote = await loop.run_in_executor(self._thread, write)
        except Exception as error:
            if not self._failing:  # once per run of failures, not at every tick
                log.warning(
                    "persistence: cannot write %s (%s: %s); sessions will not survive a restart until it can",
                    self.store.path,
                    type(error).__name__,
                    error,
                )
            self._failing = True
            if self._observe is not None:
                self._observe(0.0, players, False)
            return
        if self._failing:
            log.info("persistence: writing %s again", self.store.path)
            self._failing = False
        if wrote and self._observe is not None:
            self._observe(seconds, players, True)
