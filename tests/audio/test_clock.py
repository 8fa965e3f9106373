"""The node-wide frame clock on real time: steady ticks, no burst after a stall, no gap at a seek."""

from __future__ import annotations

import asyncio
import time

import pytest

from lavalink_py.audio import AudioEngine, FrameClock, RecordingSink
from lavalink_py.audio.clock import IDLE, SENT
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media
from tests.audio.media import decode_opus, locate_s


class StallingPlayer:
    """Blocks the loop once (a stand-in for a slow callback elsewhere) and records when it was ticked."""

    def __init__(self, stall_at: int, stall_s: float, stop_at: int) -> None:
        self.times: list[float] = []
        self.stall_at, self.stall_s, self.stop_at = stall_at, stall_s, stop_at
        self.done = asyncio.Event()

    def tick(self) -> int:
        self.times.append(time.monotonic())
        if len(self.times) == self.stall_at:
            time.sleep(self.stall_s)
        if len(self.times) == self.stop_at:
            self.done.set()
        return SENT if len(self.times) % 2 else IDLE


class SignalSink(RecordingSink):
    def __init__(self, at: int) -> None:
        super().__init__()
        self.at = at
        self.reached = asyncio.Event()

    def send_frame(self, frame: bytes) -> None:
        super().send_frame(frame)
        if len(self.frames) == self.at:
            self.reached.set()


@pytest.mark.parametrize("precise", [True, False], ids=["loop-finish", "asyncio-sleep"])
async def test_late_ticks_are_skipped_not_burst(precise: bool) -> None:
    clock = FrameClock(precise=precise)
    player = StallingPlayer(stall_at=5, stall_s=0.1, stop_at=20)
    clock.add(player)
    clock.start()
    try:
        await asyncio.wait_for(player.done.wait(), timeout=30)
    finally:
        await clock.stop()
    assert clock.late_ticks >= 3  # 100 ms stall = 5 ticks; the first resumes late, the rest are skipped
    # A burst would run the missed ticks back to back, each a tick or more behind its due time. Every tick that
    # ran was less than a tick late: the clock's own record, so a busy machine (which makes any tick late, and
    # the gap to the next one short) cannot flip it the way timing the gaps between ticks could.
    assert max(clock.lateness_us) < clock.tick_s * 1_000_000
    assert clock.ticks == len(player.times)
    assert clock.sent == sum(1 for i in range(1, clock.ticks + 1) if i % 2)
    assert len(clock.lateness_us) == clock.ticks


async def test_real_time_playback_with_seek_has_no_gap(engine: AudioEngine, media: Media) -> None:
    events = Events()
    playback = engine.create_playback(events)
    sink = SignalSink(at=10)
    playback.attach(sink)
    ended = asyncio.Event()
    events.on_track_end = lambda reason: ended.set()  # type: ignore[method-assign]
    engine.start()
    playback.start(StreamSpec(str(media.flac)))
    await asyncio.wait_for(sink.reached.wait(), timeout=30)
    playback.seek(2500)
    await asyncio.wait_for(ended.wait(), timeout=30)
    assert playback.frames_nulled == 0
    assert engine.clock.nulled == 0
    pcm = decode_opus(sink.frames)[:, 0]
    tail = len(pcm) - 15 * 960
    assert locate_s(pcm[tail : tail + 10 * 960]) == pytest.approx(3.0 - 15 * 0.02 - 0.0065, abs=0.02)
    assert engine.clock.sent == len(sink.frames)


async def test_the_clock_never_runs_a_tick_early() -> None:
    clock = FrameClock()
    player = StallingPlayer(stall_at=0, stall_s=0, stop_at=25)
    clock.add(player)
    clock.start()
    try:
        await asyncio.wait_for(player.done.wait(), timeout=30)
    finally:
        await clock.stop()
    # Each wait ends in time.sleep to an absolute monotonic deadline (the loop's clock): a tick may be late under
    # load, never early, so no tick ever runs before its due time.
    assert min(clock.lateness_us) >= 0
    assert len(clock.lateness_us) == clock.ticks


class Broken:
    def tick(self) -> int:
        raise RuntimeError("bug in one player")


def test_one_failing_player_does_not_cost_the_others_their_frame() -> None:
    clock = FrameClock()
    good = StallingPlayer(stall_at=0, stall_s=0, stop_at=0)
    clock.add(Broken())
    clock.add(good)
    clock.tick()
    clock.tick()
    assert len(good.times) == 2
    assert clock.tick_errors == 2


class Recorder:
    """Appends to a shared log; its tick counts and signals when `count` ticks ran."""

    def __init__(self, log: list[str], count: int) -> None:
        self.log, self.count = log, count
        self.ticks = 0
        self.reached = asyncio.Event()

    def tick(self) -> int:
        self.log.append("player")
        self.ticks += 1
        if self.ticks == self.count:
            self.reached.set()
        return SENT


def broken_flush() -> None:
    raise RuntimeError("bug in a flush")


async def test_flushes_open_every_tick_and_deferred_work_follows_the_players() -> None:
    """The outbox's sends (add_flush) come first in each tick, ahead of every player; work handed to after_tick runs
    once, after the players of the next tick (at once on an idle clock); a failing flush costs nothing else; what
    was built last still leaves when the clock stops."""
    log: list[str] = []
    clock = FrameClock()
    clock.after_tick(lambda: log.append("idle"))  # not running: at once
    assert log == ["idle"]
    clock.add_flush(lambda: log.append("flush"))
    clock.add_flush(broken_flush)
    first, then = Recorder(log, 1), Recorder(log, 4)
    clock.add(first)
    clock.add(then)
    clock.start()
    try:
        await asyncio.wait_for(first.reached.wait(), timeout=30)
        clock.after_tick(lambda: log.append("after"))
        await asyncio.wait_for(then.reached.wait(), timeout=30)
    finally:
        await clock.stop()
    ticks = log[1:]
    assert ticks.count("after") == 1
    after = ticks.index("after")
    assert ticks[after - 2 : after] == ["player", "player"]  # the whole tick's players ran first
    assert [entry for entry in ticks if entry != "after"] == ["flush", "player", "player"] * then.ticks + ["flush"]
    assert clock.tick_errors == then.ticks + 1  # the broken flush, in every tick and at the stop
