"""The overload policy: lowers the Opus complexity before a frame is lost, steps back up when healthy.

Driven by a fake clock and, for the whole loop, a simulated transcoding pool with a CPU budget (no real load, no
wall-clock assertion); then the real engine applies the policy's complexity to a real stream's libopus encoder.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import pytest

from lavalink_py.audio import AudioEngine, EngineSettings, Playback, RecordingSink
from lavalink_py.audio.overload import EncoderLevel, LoadObservation, OverloadPolicy, OverloadSettings
from lavalink_py.audio.overload_monitor import observe
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Media
from tests.audio.media import decode_opus, rms


def healthy(streams: int = 10) -> LoadObservation:
    return LoadObservation(streams=streams, behind=0, lowest_fill=0.9)


def draining(streams: int = 10, behind: int = 5, lowest: float = 0.3) -> LoadObservation:
    return LoadObservation(streams=streams, behind=behind, lowest_fill=lowest)


def complexities_only(**options: Any) -> OverloadSettings:
    return OverloadSettings(reduced_bitrate=None, reduced_bandwidth=None, **options)


def test_the_ladder_starts_at_opus_encoding_quality() -> None:
    settings = complexities_only(levels=(10, 8, 5, 3))
    assert [level.complexity for level in settings.ladder(10)] == [10, 8, 5, 3]
    assert [level.complexity for level in settings.ladder(7)] == [7, 5, 3]
    assert OverloadPolicy(OverloadSettings(enabled=False), 10).ladder == (EncoderLevel(10, 128_000),)


def test_past_the_lowest_complexity_the_ladder_lowers_the_bitrate_then_the_band() -> None:
    assert OverloadSettings().ladder(10, 128_000) == (
        EncoderLevel(10, 128_000),
        EncoderLevel(7, 128_000),
        EncoderLevel(5, 128_000),
        EncoderLevel(0, 128_000),
        EncoderLevel(0, 64_000),
    )
    # A configured bitrate at or below the reduced one has no bitrate step; the band step is there when set.
    assert OverloadSettings(levels=(5,), reduced_bandwidth="superwideband").ladder(10, 64_000) == (
        EncoderLevel(10, 64_000),
        EncoderLevel(5, 64_000),
        EncoderLevel(5, 64_000, "superwideband"),
    )
    assert OverloadSettings(levels=(5,)).ladder(10, 96_000)[-1] == EncoderLevel(5, 64_000)
    with pytest.raises(ValueError, match="reduced_bandwidth"):
        OverloadSettings(reduced_bandwidth="narrowband")


def test_steps_down_one_level_per_interval_while_streams_drain() -> None:
    policy = OverloadPolicy(complexities_only(levels=(10, 8, 5, 3), step_interval_ms=1000), 10)
    assert policy.observe(0.0, healthy()).complexity == 10
    assert policy.observe(0.25, draining()).complexity == 8  # the first sign: at once
    assert policy.observe(0.5, draining()).complexity == 8  # the step has a second to show in the buffers
    assert policy.observe(1.25, draining()).complexity == 5
    assert policy.observe(2.25, draining()).complexity == 3
    assert policy.observe(3.25, draining()).complexity == 3  # the floor of the ladder
    assert policy.steps_down == 3


def test_one_slow_stream_among_many_is_not_overload() -> None:
    policy = OverloadPolicy(OverloadSettings(levels=(10, 8), behind_share=0.05), 10)
    assert policy.observe(0.0, draining(streams=100, behind=4)).complexity == 10  # 4 % behind: a slow source
    assert policy.observe(1.0, draining(streams=100, behind=5)).complexity == 8


def test_a_late_encoder_is_pressure_even_with_full_buffers() -> None:
    policy = OverloadPolicy(OverloadSettings(), 10)
    assert policy.observe(0.0, LoadObservation(streams=3, behind=0, lowest_fill=0.9, encoder_late=1)).complexity == 7


def test_steps_back_up_after_sustained_health_and_backs_off_after_a_relapse() -> None:
    settings = complexities_only(levels=(10, 8), step_interval_ms=0, recover_after_ms=30_000)
    policy = OverloadPolicy(settings, 10)
    policy.observe(0.0, draining())
    assert policy.complexity == 8
    assert policy.observe(10.0, healthy()).complexity == 8  # healthy from t=10
    assert policy.observe(39.0, healthy()).complexity == 8
    assert policy.observe(40.0, healthy()).complexity == 10  # 30 s of health: one step up
    assert policy.steps_up == 1
    assert policy.observe(45.0, draining()).complexity == 8  # pressure again within 30 s of the step up
    policy.observe(46.0, healthy())
    assert policy.observe(76.0, healthy()).complexity == 8  # the next wait is doubled ...
    assert policy.observe(106.0, healthy()).complexity == 10  # ... to 60 s
    # A mixed picture (not draining, not comfortably full) neither steps nor counts as health.
    assert policy.observe(107.0, LoadObservation(streams=10, behind=0, lowest_fill=0.6)).complexity == 10


def test_observe_counts_only_encoded_streams() -> None:
    @dataclass
    class Seen:
        encoding_fill: float | None
        encoder_complexity: int | None = None

    obs = observe([Seen(0.9), Seen(0.4), Seen(None), Seen(0.2)], low_watermark=0.5, encoder_late=2)
    assert obs == LoadObservation(streams=3, behind=2, lowest_fill=0.2, encoder_late=2)


# ---- the whole loop on a simulated pool with a CPU budget -------------------------------------------------------

# CPU of one stream's 20 ms frame on each step of the ladder, relative to complexity 10: the shape measured on this
# machine (bench/overload.py prints it): decode + resample + the rest ~0.22, libopus the rest, ~0.45 of its cost at
# complexity 0, 0.75 of that at 64 kb/s, 0.9 of that again at superwideband and 128 kb/s. The tests need only that
# lower costs less.
OTHER = 0.22
ENCODER = {10: 1.0, 7: 0.75, 5: 0.58, 0: 0.45}
CAPACITY_AT_10 = 40  # streams the budget carries at complexity 10


def level_cost(level: EncoderLevel) -> float:
    encoder = ENCODER[level.complexity] * (0.75 if level.bitrate < 128_000 else 1.0)
    encoder *= 0.9 if level.bandwidth == "superwideband" else 1.0
    return OTHER + (1 - OTHER) * encoder


@dataclass
class SimStream:
    buffer: int
    capacity: int = 250
    queued: bool = False

    @property
    def encoding_fill(self) -> float:
        return self.buffer / self.capacity

    encoder_complexity: int | None = None


def simulate(streams: int, settings: OverloadSettings, seconds: float) -> tuple[int, float | None, OverloadPolicy]:
    """Ticks of 20 ms; a FIFO pool spends a budget of CAPACITY_AT_10 frames of complexity-10 work per tick on refill
    jobs of 50 frames (as the engine: refill at <= 200 of 250). Returns frames lost, the time of the first step
    down and the policy."""
    budget_per_tick = CAPACITY_AT_10 * level_cost(EncoderLevel(10))
    policy = OverloadPolicy(settings, 10)
    pool: deque[tuple[SimStream, float]] = deque()
    sims = [SimStream(buffer=250 - (i % 50)) for i in range(streams)]  # staggered, as streams start at different times
    lost, first_step, work = 0, None, 0.0
    check_every = settings.check_interval_ms // 20
    for tick in range(int(seconds * 50)):
        work += budget_per_tick
        while pool and work >= pool[0][1]:
            sim, cost = pool.popleft()
            work -= cost
            sim.buffer += 50
            sim.queued = False
        if not pool:
            work = min(work, budget_per_tick)  # an idle pool banks nothing
        for sim in sims:
            if sim.buffer:
                sim.buffer -= 1
            else:
                lost += 1
            if sim.buffer <= 200 and not sim.queued:
                sim.queued = True
                pool.append((sim, 50 * level_cost(policy.encoder)))  # the encoder reads the dial when its job runs
        if tick % check_every == 0:
            before = policy.complexity
            policy.observe(tick * 0.02, observe(sims, settings.low_watermark, 0))
            if first_step is None and policy.complexity < before:
                first_step = tick * 0.02
    return lost, first_step, policy


def test_under_overload_the_policy_lowers_complexity_before_any_frame_is_lost() -> None:
    streams = int(CAPACITY_AT_10 * 1.6)  # complexity 0 carries 1.75x
    lost, first_step, _ = simulate(streams, OverloadSettings(), seconds=180)
    assert first_step is not None
    assert lost == 0
    # The same load without the policy loses frames: the budget is what limits, not the model.
    lost_without, _, _ = simulate(streams, OverloadSettings(enabled=False), seconds=180)
    assert lost_without > 0


def test_at_twice_the_capacity_the_bitrate_step_carries_what_complexity_cannot() -> None:
    streams = CAPACITY_AT_10 * 2  # complexity 0 carries 1.75x, 64 kb/s 2.06x
    lost, _, policy = simulate(streams, OverloadSettings(), seconds=180)
    assert lost == 0
    assert policy.encoder.bitrate == 64_000
    lost_complexity_only, _, only = simulate(streams, complexities_only(), seconds=180)
    assert only.complexity == 0 and lost_complexity_only > 0


def test_a_load_the_machine_carries_keeps_complexity_10() -> None:
    lost, first_step, policy = simulate(int(CAPACITY_AT_10 * 0.8), OverloadSettings(), seconds=60)
    assert (lost, first_step, policy.complexity) == (0, None, 10)


# ---- the real engine applies it ---------------------------------------------------------------------------------


async def test_the_engine_encodes_at_the_complexity_the_policy_sets(media: Media) -> None:
    engine = AudioEngine(EngineSettings(first_batch_ms=100, batch_ms=100))
    try:
        playback = engine.create_playback()
        sink = RecordingSink()
        playback.attach(sink)
        playback.start(StreamSpec(str(media.mp3)))
        await engine.pump(10)
        assert playback.encoder_complexity == 10
        assert engine.overload.streams_by_complexity() == {10: 1, 7: 0, 5: 0, 0: 0}
        # Checks with every stream draining (one step per check here), as overload_monitor makes them.
        for second in range(3):
            engine.overload.policy.observe(float(second), LoadObservation(streams=1, behind=1, lowest_fill=0.1))
        engine.overload.dial.level = engine.overload.policy.encoder
        assert engine.overload.dial.complexity == 0
        await engine.pump(30)  # the next batches are encoded at 0
        assert playback.encoder_complexity == 0
        assert engine.overload.streams_by_complexity() == {10: 0, 7: 0, 5: 0, 0: 1}
        assert playback.frames_nulled == 0
        assert rms(decode_opus(sink.frames[-10:])) > 0.05  # still the music, at a lower complexity
    finally:
        await engine.close()


async def test_the_engine_encodes_at_the_bitrate_and_band_of_the_ladders_last_step(media: Media) -> None:
    overload = OverloadSettings(reduced_bandwidth="superwideband")
    engine = AudioEngine(EngineSettings(first_batch_ms=100, batch_ms=100, overload=overload))
    try:
        playback = engine.create_playback()
        sink = RecordingSink()
        playback.attach(sink)
        playback.start(StreamSpec(str(media.mp3)))
        await engine.pump(20)
        assert playback.encoder_level == EncoderLevel(10, 128_000, "fullband")
        full = sink.frames[-10:]
        engine.overload.dial.level = engine.overload.policy.ladder[-1]
        await engine.pump(30)
        assert playback.encoder_level == EncoderLevel(0, 64_000, "superwideband")
        reduced = sink.frames[-10:]
        # Half the bitrate: about half the bytes (VBR), and still the music.
        assert sum(map(len, reduced)) < 0.7 * sum(map(len, full))
        assert rms(decode_opus(reduced)) > 0.05
        assert playback.frames_nulled == 0
    finally:
        await engine.close()


def fill_of(playback: Playback) -> float | None:
    return playback.encoding_fill


async def test_a_stream_filling_up_after_its_start_is_not_behind(media: Media) -> None:
    """A new stream starts with a short first batch (its buffer nearly empty by design): the policy must not read
    that as the pool falling behind, or every play would lower the complexity."""
    engine = AudioEngine(EngineSettings(first_batch_ms=100, batch_ms=100, frame_buffer_ms=1000))
    try:
        playback = engine.create_playback()
        playback.attach(RecordingSink())
        playback.start(StreamSpec(str(media.mp3)))
        await engine.pump(1)
        assert fill_of(playback) is None  # 5 of 50 frames: filling up, not behind
        await engine.pump(60)
        # Watched once filled. pump() ticks as soon as each next frame exists, so on a busy machine the buffer can
        # stand empty right after it; with no tick taking frames, the pool fills it.
        async with asyncio.timeout(30):
            while (fill_of(playback) or 0.0) <= 0:
                await asyncio.sleep(0.01)
    finally:
        await engine.close()


async def test_a_live_stream_refilling_after_an_in_place_change_is_not_behind(media: Media) -> None:
    """A live stream's filter change takes its buffer back to the next 9 frames and makes them again (restyle):
    like a start, that is not the pool falling behind."""
    engine = AudioEngine(EngineSettings(first_batch_ms=100, batch_ms=100, frame_buffer_ms=1000))
    try:
        playback = engine.create_playback()
        playback.attach(RecordingSink())
        playback.set_volume(50)  # encoded from the start
        playback.start(StreamSpec(str(media.mp3), is_live=True))
        await engine.pump(60)
        assert fill_of(playback) is not None  # filled once: watched
        playback.set_volume(80)
        while not playback.rewinds:
            await engine.pump(1)
        [rewind] = playback.rewinds
        assert rewind.serial is not None
        if playback.buffered_frames < 45:  # below the refill mark: filling up again, not behind
            assert fill_of(playback) is None
        await engine.pump(60)
        # Watched again once refilled. pump() ticks as soon as each next frame exists, so on a busy machine the
        # buffer can stand empty right after it; with no tick taking frames, the pool fills it.
        async with asyncio.timeout(30):
            while (fill_of(playback) or 0.0) <= 0:
                await asyncio.sleep(0.01)
    finally:
        await engine.close()


# ---- the start-up grace: a stream filling up after its start is not the pool falling behind ---------------------


async def blocked_engine_playback(
    media: Media, first_batch_ms: int
) -> tuple[AudioEngine, Playback, threading.Event]:
    """A playback on an engine whose one decode worker is held by another job from its first frame on: every refill
    waits in the pool's queue, as a dozen tracks' first refills queue behind each other when they start at once."""
    engine = AudioEngine(
        EngineSettings(workers=1, first_batch_ms=first_batch_ms, batch_ms=100, frame_buffer_ms=1000)
    )
    release = threading.Event()
    playback = engine.create_playback()
    playback.attach(RecordingSink())
    playback.start(StreamSpec(str(media.mp3)))
    await playback.wait_frame()  # the first fill runs on the io pool
    engine.cpu_pool.submit(release.wait, 60)
    return engine, playback, release


def tick_until_nulled(engine: AudioEngine, playback: Playback, nulled: int) -> None:
    for _ in range(200):
        if playback.frames_nulled >= nulled:
            return
        engine.clock.tick()
    raise AssertionError(f"{playback.frames_nulled} frames nulled after 200 ticks")


async def test_frames_missed_while_a_new_stream_fills_up_do_not_lower_the_complexity(media: Media) -> None:
    engine, playback, release = await blocked_engine_playback(media, first_batch_ms=100)
    try:
        tick_until_nulled(engine, playback, 5)  # the first 5 frames played, then its refill waited in the queue
        assert playback.loss.counts.encoder_late == 5  # the listener missed them: attributed as ever
        assert engine.loss.encoder_late_filling == 5
        engine.overload.check()
        assert engine.overload.dial.complexity == 10
        assert engine.overload.policy.steps_down == 0
    finally:
        release.set()
        await engine.close()


async def test_frames_missed_after_the_stream_filled_lower_the_complexity(media: Media) -> None:
    # The first fill takes the whole buffer: filled at once, so the grace is over before any frame is missed.
    engine, playback, release = await blocked_engine_playback(media, first_batch_ms=1000)
    try:
        engine.clock.tick()  # the first frame: the stream is the current one, 49 of 50 frames held
        assert fill_of(playback) == 0.98
        tick_until_nulled(engine, playback, 1)
        assert playback.loss.counts.encoder_late == 1
        assert engine.loss.encoder_late_filling == 0
        engine.overload.check()
        assert engine.overload.dial.complexity == 7
    finally:
        release.set()
        await engine.close()


async def test_a_new_stream_that_never_fills_up_ends_its_grace_after_a_buffer_of_ticks(media: Media) -> None:
    """The grace is bounded: a stream owed a whole buffer's worth of frames (50 here) without reaching its refill
    mark is falling behind, and its misses count from then on."""
    engine, playback, release = await blocked_engine_playback(media, first_batch_ms=100)
    try:
        tick_until_nulled(engine, playback, 44)  # 5 sent + 44 missed = 49 owed: still filling
        assert engine.loss.encoder_late_filling == 44
        engine.overload.check()
        assert engine.overload.dial.complexity == 10
        tick_until_nulled(engine, playback, 46)  # the 45th miss makes 50 owed: the grace ends, the 46th is pressure
        assert engine.loss.encoder_late_filling == 45 and engine.loss.totals.encoder_late == 46
        engine.overload.check()
        assert engine.overload.dial.complexity == 7
    finally:
        release.set()
        await engine.close()
