"""Start-up and idle cost (issue 11): what importing the app loads, and that nothing idle walks every task or player.

Behaviour only: which modules a fresh interpreter holds, how often the lag monitor counts tasks, that the stats
round prunes what it must. The timings are in bench/startup.py and BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import time
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from lavalink_py.audio import AudioEngine, FrameClock
from lavalink_py.audio.clock import IDLE
from lavalink_py.metrics.probes import LagMonitor
from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sessions.node import Node
from lavalink_py.sources.base import StreamSpec

# Loaded by the first player, load or voice connection, never by start-up.
HEAVY = (
    "av",
    "numpy",
    "scipy",
    "yt_dlp",
    "opentelemetry",
    "sentry_sdk",
    "cryptography",
    "davey",
    "lavalink_py.audio.pipeline",
    "lavalink_py.voice.connection",
    # The yt-dlp sites' routers and managers: built at the first load (sources/ytdlp/deferred.py).
    "lavalink_py.sources.ytdlp.factory",
    "lavalink_py.sources.ytdlp.sites.youtube",
    # The route planner's HLS reader: the first HLS stream through the planner.
    "lavalink_py.sources.hls_file",
    # The sessions' WebSocket framing: the first session (api/session_stream.py).
    "websockets",
)

_PROBE = """
import json, sys, threading
import lavalink_py.app
loaded_at_start = [m for m in {heavy!r} if m in sys.modules]

# What PATCH and /v4/info do with filters, on the loop: parse, validate, echo, plan. None of it needs the DSP stack.
from lavalink_py.audio.filters import default_registry
from lavalink_py.protocol.filters import filters_json, parse_filters
from lavalink_py.protocol.validation import RequestError
registry = default_registry()
body = {{name: {lavalink_ten!r}.get(name, {{}}) for name in registry.names()}}
filters = parse_filters(body, registry)
echoed = filters_json(filters)
try:
    parse_filters({{"timescale": {{"speed": -1}}}}, registry)
except RequestError:
    refused = True
else:
    refused = False
plan = registry.plan(filters)
loaded_by_filters = [m for m in {heavy!r} if m in sys.modules]

# The first stream with filters builds and runs its chain on a pool thread: the stages import their stack there.
def run_chain():
    import numpy as np
    processor = plan.open()
    processor.process(np.zeros((960, 2), np.float32))
    processor.flush()
worker = threading.Thread(target=run_chain)
worker.start()
worker.join()
after_chain = [m for m in {heavy!r} if m in sys.modules]

from lavalink_py.audio import AudioEngine
engine = AudioEngine()
engine.warm_on_first_playback.append("lavalink_py.voice.connection")
engine.create_playback()
engine.io_pool.shutdown(wait=True)  # the warm-up imports run there, off the caller's thread
print(json.dumps({{
    "start": loaded_at_start,
    "filters": loaded_by_filters,
    "echoed": sorted(echoed),
    "names": registry.names(),
    "refused": refused,
    "stages": len(plan.stages),
    "after_chain": after_chain,
    "after_player": [m for m in {heavy!r} if m in sys.modules],
}}))
"""

# Non-neutral settings of Lavalink's filters (the others are parsed from `{{}}`, their defaults).
LAVALINK_TEN = {
    "volume": 0.8,
    "equalizer": [{"band": 0, "gain": 0.2}],
    "karaoke": {"level": 1.0, "monoLevel": 1.0, "filterBand": 220.0, "filterWidth": 100.0},
    "timescale": {"speed": 1.2},
    "tremolo": {"frequency": 2.0, "depth": 0.5},
    "vibrato": {"frequency": 2.0, "depth": 0.5},
    "rotation": {"rotationHz": 0.2},
    "distortion": {"sinOffset": 0.1},
    "channelMix": {"leftToRight": 0.5},
    "lowPass": {"smoothing": 20.0},
}


@cache  # one fresh interpreter for both tests that read it
def _run_probe() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY, lavalink_ten=LAVALINK_TEN)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_importing_the_app_loads_no_audio_voice_or_telemetry_stack() -> None:
    loaded = _run_probe()
    assert loaded["start"] == []
    # The first playback imports the decode/encode stack and the voice driver on the engine's io pool.
    for module in ("av", "numpy", "lavalink_py.audio.pipeline", "lavalink_py.voice.connection", "davey"):
        assert module in loaded["after_player"], module


def test_filters_parse_echo_and_plan_without_the_dsp_stack_which_their_stages_load() -> None:
    loaded = _run_probe()
    # Every built-in parsed, echoed and planned (what PATCH and /v4/info do on the loop): nothing of it loaded.
    assert loaded["filters"] == []
    assert loaded["echoed"] == sorted(loaded["names"])
    assert loaded["refused"]  # validation still refuses what Lavalink refuses
    assert loaded["stages"] >= len(LAVALINK_TEN)
    # Running the chain (on a thread, as the pool does) imported PyAV's filter graph and scipy's filters there.
    for module in ("av", "numpy", "scipy"):
        assert module in loaded["after_chain"], module


async def test_lag_monitor_counts_tasks_only_every_n_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = asyncio.all_tasks

    def counting(loop: asyncio.AbstractEventLoop | None = None) -> set[asyncio.Task[Any]]:
        nonlocal calls
        calls += 1
        return real(loop)

    monkeypatch.setattr(asyncio, "all_tasks", counting)  # restored after the test
    lag = LagMonitor(interval_s=0.001, tasks_every=4)
    await lag.start()
    try:
        await asyncio.wait_for(lag.wait_for_samples(8), 30)
    finally:
        await lag.stop()
    # Ticks 0 and 4 counted (and 8 when the stop raced a ninth tick): never one count per tick.
    assert lag.samples >= 8
    assert calls == len(range(0, lag.samples, 4))
    assert lag.tasks >= 1


def test_lag_monitor_keeps_the_last_task_count_between_counts() -> None:
    lag = LagMonitor()
    lag.record(0.0, 7)
    lag.record(0.002, None)
    assert lag.tasks == 7
    assert lag.samples == 2
    assert lag.last_lag_s == 0.002


class _NoLoader:
    async def load(self, identifier: str) -> LoadResult:
        raise AssertionError("not used")

    def names(self) -> list[str]:
        return []

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        raise AssertionError("not used")

    async def close(self) -> None:
        return None


async def test_stats_round_covers_every_session_and_drops_marks_of_gone_players() -> None:
    engine = AudioEngine()
    node = Node(_NoLoader(), engine)
    sent: list[bytes] = []
    first, _, _ = node.sessions.open(1, None, sent.append, None)
    second, _, _ = node.sessions.open(1, None, sent.append, None)
    for guild in (10, 11):
        first.get_or_create_player(guild)
    second.get_or_create_player(12)
    try:
        round_ = node.frame_stats_round(now_s=100.0)
        assert [session for session, _ in round_] == [first, second]
        assert all(frames is None for _, frames in round_)  # nothing playing
        assert len(node._frame_marks) == 3
        first.destroy_player(11)
        node.frame_stats_round(now_s=101.0)
        assert len(node._frame_marks) == 2
        second.shutdown()
        node.frame_stats_round(now_s=102.0)
        assert len(node._frame_marks) == 1
    finally:
        node.sessions.shutdown()
        await engine.close()


class _Idle:
    def __init__(self) -> None:
        self.ticks = 0

    def tick(self) -> int:
        self.ticks += 1
        return IDLE


async def test_frame_clock_sleeps_while_it_has_no_players() -> None:
    clock = FrameClock()
    clock.start()
    try:
        await asyncio.sleep(0.2)  # ten ticks' worth of time with nobody to tick
        assert clock.ticks == 0
        player = _Idle()
        clock.add(player)
        await asyncio.wait_for(_until(lambda: player.ticks >= 3), 30)
        clock.discard(player)
        await asyncio.wait_for(_until(lambda: not clock._has_players.is_set()), 30)  # the tick in flight lands
        settled = clock.ticks
        await asyncio.sleep(0.2)
        assert clock.ticks == settled  # asleep again
    finally:
        await clock.stop()


async def _until(predicate: Callable[[], bool]) -> None:
    while not predicate():
        await asyncio.sleep(0.01)


async def test_ytdlp_sites_are_built_once_at_their_first_load_on_the_pool_and_route_as_built() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from lavalink_py.sources.ytdlp import deferred
    from lavalink_py.sources.ytdlp.factory import build_ytdlp_managers
    from lavalink_py.sources.ytdlp.sites import bandcamp, soundcloud, youtube

    # The placeholders' names and prefixes are the real sites' (what /v4/info and the registry read at start).
    assert deferred.YOUTUBE_SEARCH == youtube.SEARCH_PREFIX
    assert deferred.YOUTUBE_MUSIC_SEARCH == youtube.MUSIC_SEARCH_PREFIX
    assert (deferred.SOUNDCLOUD_SEARCH, deferred.BANDCAMP_SEARCH) == (soundcloud.SEARCH_PREFIX, bandcamp.SEARCH_PREFIX)
    with ThreadPoolExecutor(1, thread_name_prefix="sites") as pool:
        assert [m.name for m in build_ytdlp_managers(executor=pool)] == list(deferred.SITE_NAMES)
        builds: list[str] = []
        fail = [True]

        def build() -> list[Any]:
            import threading

            builds.append(threading.current_thread().name)
            if fail.pop() if fail else False:
                raise OSError("first build fails")
            return build_ytdlp_managers(executor=pool)

        sites = deferred.DeferredSites(deferred.SITE_NAMES, build, pool)
        placeholders = sites.placeholders()
        assert [p.name for p in placeholders] == list(deferred.SITE_NAMES)
        assert builds == []  # nothing built until a load
        with pytest.raises(OSError):
            await placeholders[0].load_item("https://example.com/a.mp3")
        # Retried after the failure; concurrent first loads share one build. Not a site's URL: None, no request.
        answers = await asyncio.gather(*(p.load_item("https://example.com/a.mp3") for p in placeholders))
        assert answers == [None] * len(placeholders)
        assert len(builds) == 2
        assert all(name.startswith("sites") for name in builds)


async def test_stats_round_serializes_one_message_for_the_sessions_that_get_the_same() -> None:
    from lavalink_py.api.tickers import send_stats

    engine = AudioEngine()
    node = Node(_NoLoader(), engine)
    sent: list[list[bytes]] = [[], [], []]
    for out in sent:
        node.sessions.open(1, None, out.append, None)
    try:
        send_stats(node)
        payloads = [out[-1] for out in sent]
        message = json.loads(payloads[0])
        assert message["op"] == "stats"
        assert message["frameStats"] is None
        assert all(payload is payloads[0] for payload in payloads)  # one serialization, not one per session
    finally:
        node.sessions.shutdown()
        await engine.close()


async def test_lag_monitor_wakes_less_while_no_player_is_playing() -> None:
    playing = True
    wakes: list[float] = []

    def clock() -> float:
        wakes.append(time.monotonic())
        return wakes[-1]

    lag = LagMonitor(interval_s=0.001, idle_interval_s=0.3, busy=lambda: playing, clock=clock)
    assert lag.current_interval_s() == 0.001
    await lag.start()
    try:
        await asyncio.wait_for(lag.wait_for_samples(5), 30)  # busy: a tick every 1 ms
        playing = False
        assert lag.current_interval_s() == 0.3
        seen = lag.samples
        await asyncio.wait_for(lag.wait_for_samples(seen + 3), 30)
    finally:
        await lag.stop()
    # After the first tick that found no player, each wait is the idle interval (a sleep never ends early).
    idle_gaps = [b - a for a, b in itertools.pairwise(wakes[seen + 1 :])]
    assert idle_gaps and min(idle_gaps) >= 0.3
