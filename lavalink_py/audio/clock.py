"""FrameClock: one per node. Every 20 ms it asks each registered playback to send one frame.

Ticks are scheduled against a monotonic start (tick n is due at start + n * 20 ms), so sleep jitter does not
accumulate. If the loop wakes more than a tick late, the missed ticks are counted as late and skipped, never
sent in a burst. Counters are plain ints for metrics to read.

The wait for each tick ends on the loop thread itself: asyncio's own timers wait in epoll, whose timeout is whole
milliseconds rounded up, so an `asyncio.sleep` to a deadline wakes 0-1 ms late plus the loop's scheduling, a jitter
every player's send interval inherits. The clock sleeps with asyncio to `FINISH_S` before the due time, then the
rest with `time.sleep` (clock_nanosleep, timer slack ~50 us) on the loop thread: the thread that runs the tick is
the one the kernel wakes at the due time, once per tick. (A waker thread resolving a loop future did the same with
two wake-ups per tick, the waker's and then the loop's through its self-pipe; each waits for a CPU under
contention, and the loop's alone was the tick-start jitter's larger half: BENCHMARKS.md "Voice send path and
frame clock".) The loop is blocked for that last part of each wait, at most `FINISH_S` per tick; the tick itself
runs on the loop as before, so playbacks, sinks and voice state keep one thread and need no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from lavalink_py.audio.frames import FRAME_MS

log = logging.getLogger(__name__)

SENT = 1
NULLED = -1
IDLE = 0
LATENESS_SAMPLES = 3000  # one minute of ticks
# The last part of each wait, slept on the loop thread: more than epoll's whole-ms rounding plus a typical wake-up
# of the loop (so asyncio's timer is done with before the due time), little enough to leave the loop ~17 ms a tick.
FINISH_S = 0.003


class Tickable(Protocol):
    def tick(self) -> int:
        """Send one frame if playing: SENT, NULLED (playing but no frame ready) or IDLE; a group ticking several
        players (audio/shared.py TapGroup) returns how many it sent, or minus how many it nulled."""
        ...


class FrameClock:
    def __init__(self, tick_s: float = FRAME_MS / 1000, precise: bool = True) -> None:
        self.tick_s = tick_s
        # False: plain asyncio.sleep (whole-ms epoll timeouts), kept for comparison in bench/voice.py.
        self.precise = precise
        self._players: dict[int, Tickable] = {}
        # Called first in every tick, before any player: the sends of what the players built last tick
        # (voice/outbox.py), so they leave together right at the wake-up, ahead of this tick's work.
        self._flushes: list[Callable[[], None]] = []
        self._after: list[Callable[[], None]] = []  # run once after the next tick's players (`after_tick`)
        # Set when a player is added: a clock with no players sleeps on it instead of waking 50 times a second
        # for nothing (issue 11: an idle node's CPU).
        self._has_players = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.ticks = 0
        self.sent = 0
        self.nulled = 0
        self.tick_errors = 0
        self.late_ticks = 0  # ticks skipped because the loop woke more than a tick late
        self.lost = 0  # frames those skipped ticks owed the players that were playing
        self._playing = 0  # players that sent or nulled on the last tick
        self.lateness_us: deque[int] = deque(maxlen=LATENESS_SAMPLES)

    def add(self, player: Tickable) -> None:
        self._players[id(player)] = player
        self._has_players.set()

    def add_flush(self, flush: Callable[[], None]) -> None:
        self._flushes.append(flush)

    def after_tick(self, action: Callable[[], None]) -> None:
        """Runs `action` once right after the next tick's players, or now if the clock is idle: periodic loop work
        (stats, playerUpdate) that would otherwise start at any moment and, landing just before a tick's due
        time, hold every player's send by its length; right after a tick it has nearly 20 ms to itself."""
        if self.running and self._players:
            self._after.append(action)
        else:
            action()

    def discard(self, player: Tickable) -> None:
        self._players.pop(id(player), None)

    def __len__(self) -> int:
        return len(self._players)

    def tick(self) -> None:
        self._flush()
        sent = nulled = 0
        for player in list(self._players.values()):
            try:
                result = player.tick()
            except Exception:
                # One player's bug (or its listener's) must not cost every other player this tick.
                self.tick_errors += 1
                log.exception("frame clock: tick failed for %r", player)
                continue
            if result >= SENT:
                sent += result
            elif result <= NULLED:
                nulled -= result
        self.ticks += 1
        self.sent += sent
        self.nulled += nulled
        self._playing = sent + nulled
        if self._after:
            self._run_after()

    def _flush(self) -> None:
        for flush in self._flushes:
            try:
                flush()
            except Exception:
                self.tick_errors += 1
                log.exception("frame clock: flush %r failed", flush)

    def _run_after(self) -> None:
        actions, self._after = self._after, []
        for action in actions:
            try:
                action()
            except Exception:
                log.exception("frame clock: %r after the tick failed", action)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="frame-clock")
            self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            self._flush()
            self._run_after()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        n = 0
        while True:
            if not self._players:
                self._flush()  # what the last players built leaves now, a tick early rather than never
                self._run_after()
                self._has_players.clear()
                await self._has_players.wait()
                start, n = loop.time(), 0  # a fresh schedule: the idle time is no lateness
            n += 1
            due = start + n * self.tick_s
            delay = due - loop.time()
            if delay > 0:
                if not self.precise:
                    await asyncio.sleep(delay)
                else:
                    if delay > FINISH_S:
                        await asyncio.sleep(delay - FINISH_S)
                    _sleep_until(due)
            n += self._account_lateness(loop.time() - due)
            self.tick()

    def _account_lateness(self, late: float) -> int:
        """Records how late this tick runs; returns the ticks skipped (woken a tick or more late), never burst."""
        skipped = 0
        if late >= self.tick_s:
            skipped = int(late // self.tick_s)
            self.late_ticks += skipped
            self.lost += skipped * self._playing
            late -= skipped * self.tick_s
        self.lateness_us.append(int(late * 1_000_000))
        return skipped

    def lateness_percentile_us(self, q: float) -> int:
        if not self.lateness_us:
            return 0
        ordered = sorted(self.lateness_us)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _sleep_until(due: float) -> None:
    """Blocks the loop thread to `due` on the loop's clock (time.monotonic): never early, ~50 us late when idle."""
    rest = due - time.monotonic()
    if rest > 0:
        time.sleep(rest)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("frame clock stopped", exc_info=task.exception())
