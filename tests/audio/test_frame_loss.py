"""Every lost frame is attributed to a cause: pool backlog (encoderLate), a refill blocked on its source
(sourceUnderrun), skipped clock ticks (eventLoopLag) and collections covering a tick (gcPause).

Real pools, real streams and a real `gc.collect()`; time only as arguments (fake clocks), never asserted."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from lavalink_py.audio import EngineSettings, Playback, RecordingSink
from lavalink_py.audio.clock import NULLED, SENT
from lavalink_py.audio.frame_loss import (
    CAUSES,
    ENCODER_LATE,
    EVENT_LOOP_LAG,
    SOURCE_UNDERRUN,
    FillJob,
    GcWatch,
    LossContext,
    PlayerLoss,
    miss_cause,
)
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Media


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeClock:
    tick_s = 0.02

    def __init__(self) -> None:
        self.late_ticks = 0


def test_a_refill_waiting_in_the_pool_queue_is_encoder_late() -> None:
    assert miss_cause(FillJob(None)) == ENCODER_LATE


def test_a_refill_blocked_on_io_is_source_underrun_and_one_on_cpu_is_encoder_late() -> None:
    blocked = FillJob(None)
    # Sleeping stands for a read waiting on the network; long enough that waking on a busy machine stays shorter.
    blocked.run(lambda _frames: time.sleep(0.4), 1)
    assert blocked.io_bound is True
    running = FillJob(blocked)
    running.started = True  # the next refill is running: judged by how the last one spent its time
    assert miss_cause(running) == SOURCE_UNDERRUN

    def spin(_frames: int) -> None:
        end = time.thread_time() + 0.05
        while time.thread_time() < end:
            pass

    busy = FillJob(None)
    busy.run(spin, 1)
    assert busy.io_bound is False
    after = FillJob(busy)
    after.started = True
    assert miss_cause(after) == ENCODER_LATE
    assert miss_cause(None) == SOURCE_UNDERRUN  # nothing asked of the source yet


def test_skipped_ticks_are_charged_to_players_that_were_playing() -> None:
    clock, now, watch = FakeClock(), FakeTime(), GcWatch()
    context = LossContext(clock, watch, now=now)
    playing, paused = PlayerLoss(context), PlayerLoss(context)
    clock.late_ticks = 3
    playing.ticks_skipped(playing=True)
    paused.ticks_skipped(playing=False)
    assert playing.counts.as_dict()[EVENT_LOOP_LAG] == 3
    assert paused.counts.as_dict()[EVENT_LOOP_LAG] == 0
    assert context.totals.event_loop_lag == 3
    playing.ticks_skipped(playing=True)  # nothing new skipped: nothing more charged
    assert playing.counts.event_loop_lag == 3


def test_ticks_skipped_inside_a_collection_are_gc_pauses() -> None:
    clock, now = FakeClock(), FakeTime()
    watch = GcWatch(now=now)
    context = LossContext(clock, watch, now=now)
    loss = PlayerLoss(context)
    watch._callback("start", {})
    now.now += 0.07  # a 70 ms collection
    watch._callback("stop", {})
    now.now += 0.001
    clock.late_ticks = 3
    loss.ticks_skipped(playing=True)
    assert loss.counts.gc_pause == 3 and loss.counts.event_loop_lag == 0
    now.now += 5.0  # long after: an empty buffer now is not the collection's doing
    loss.missed(FillJob(None))
    assert loss.counts.encoder_late == 1 and loss.counts.gc_pause == 3


def test_the_gc_watch_times_real_collections() -> None:
    watch = GcWatch()
    watch.install()
    try:
        gc.collect()
    finally:
        watch.uninstall()
    assert watch.collections >= 1
    start, end = watch.windows[-1]
    assert end >= start
    assert watch.overlap_s(start, end) == end - start


def test_counts_cover_every_cause_in_the_documented_order() -> None:
    clock = FakeClock()
    loss = PlayerLoss(LossContext(clock, GcWatch()))
    assert tuple(loss.counts.as_dict(send_late=4)) == CAUSES
    assert loss.counts.as_dict(send_late=4)["sendLate"] == 4


async def test_a_playback_starved_by_a_busy_pool_counts_encoder_late(media: Media) -> None:
    """One decode worker, held by another job: the stream's refill waits in the queue, its buffer runs dry, and the
    frames it misses are the encoder's, not the source's."""
    cpu, io = ThreadPoolExecutor(1), ThreadPoolExecutor(2)
    release = threading.Event()
    try:
        playback = Playback(EngineSettings(first_batch_ms=100, batch_ms=100, frame_buffer_ms=200), cpu, io)
        sink = RecordingSink()
        playback.attach(sink)
        playback.start(StreamSpec(str(media.mp3)))
        await playback.wait_frame()
        cpu.submit(release.wait, 30)  # the worker is busy elsewhere from now on
        results = []
        for _ in range(40):
            results.append(playback.tick())
            if results[-1] == NULLED:
                break
        assert SENT in results and results[-1] == NULLED
        assert playback.frames_nulled == 1
        assert playback.loss.counts.encoder_late == 1
        assert playback.loss.counts.source_underrun == 0
    finally:
        release.set()
        playback.stop()
        cpu.shutdown(wait=True)
        io.shutdown(wait=True)
        await asyncio.sleep(0)
