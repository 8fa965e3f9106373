"""Each built-in collector alone on a fresh CollectorRegistry, read with get_sample_value."""

from __future__ import annotations

import asyncio
import gc
import threading
import time

from prometheus_client import CollectorRegistry

from lavalink_py.metrics.collectors.fallback import FallbackCollector
from lavalink_py.metrics.collectors.http import HttpCollector
from lavalink_py.metrics.collectors.player import PlayerCollector
from lavalink_py.metrics.collectors.readiness import ReadinessCollector
from lavalink_py.metrics.collectors.runtime import RuntimeCollector
from lavalink_py.metrics.collectors.system import SystemCollector
from lavalink_py.metrics.collectors.track import TrackCollector
from lavalink_py.metrics.collectors.websocket import WebSocketCollector
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.metrics.health import Readiness
from lavalink_py.metrics.probes import GcMonitor, InstrumentedThreadPool, LagMonitor
from tests.metrics.conftest import busy_node, populate


def _registry_with(collector: object) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(collector)  # type: ignore[arg-type]  # each collector satisfies the Collector protocol
    return registry


def test_http_collector_labels_by_method_route_template_and_status() -> None:
    counters = NodeCounters()
    populate(counters)
    r = _registry_with(HttpCollector(counters.http))
    route = "/v4/sessions/{session_id}/players/{guild_id}"
    assert (
        r.get_sample_value("lavalink_http_requests_total", {"method": "GET", "endpoint": "/v4/info", "status": "200"})
        == 1
    )
    assert (
        r.get_sample_value("lavalink_http_errors_total", {"method": "PATCH", "endpoint": route, "status": "400"}) == 1
    )
    ok = {"method": "GET", "endpoint": "/v4/info", "status": "200"}
    assert r.get_sample_value("lavalink_http_errors_total", ok) is None
    assert (
        r.get_sample_value(
            "lavalink_http_request_duration_seconds_bucket", {"method": "GET", "endpoint": "/v4/info", "le": "0.0025"}
        )
        == 1
    )
    assert r.get_sample_value("lavalink_http_response_size_bytes_sum", {"method": "GET", "endpoint": "/v4/info"}) == 300


def test_websocket_collector_reads_sessions_and_counters() -> None:
    counters = NodeCounters()
    populate(counters)
    r = _registry_with(WebSocketCollector(counters.websocket, busy_node()))
    assert r.get_sample_value("lavalink_websocket_connections_total", {"state": "active"}) == 1
    assert r.get_sample_value("lavalink_websocket_connections_total", {"state": "resumable"}) == 1
    assert r.get_sample_value("lavalink_websocket_messages_total", {"direction": "outbound", "type": "text"}) == 1
    assert r.get_sample_value("lavalink_websocket_errors_total", {"type": "protocol"}) == 1
    assert r.get_sample_value("lavalink_websocket_message_size_bytes_count", {"direction": "inbound"}) == 1
    assert r.get_sample_value("lavalink_websocket_latency_seconds_count") == 1


def test_track_collector_splits_loaded_and_failed_by_reason() -> None:
    counters = NodeCounters()
    populate(counters)
    r = _registry_with(TrackCollector(counters.tracks))
    assert r.get_sample_value("lavalink_tracks_loaded_total", {"source": "http"}) == 1
    assert r.get_sample_value("lavalink_tracks_failed_total", {"source": "youtube", "reason": "not_found"}) == 1
    assert r.get_sample_value("lavalink_track_load_duration_seconds_count", {"source": "youtube"}) == 1


def test_fallback_collector_exports_families_without_samples_until_bumped() -> None:
    counters = NodeCounters()
    r = _registry_with(FallbackCollector(counters.fallback))
    names = {m.name for m in r.collect()}
    assert "lavalink_fallback_conversions" in names
    assert all(not m.samples for m in r.collect())
    counters.fallback.conversion("deezer", "failure", 0.2)
    assert r.get_sample_value("lavalink_fallback_conversions_total", {"service": "deezer", "result": "failure"}) == 1


def test_player_collector_reads_players_voice_events_and_frames() -> None:
    counters = NodeCounters()
    populate(counters)
    node = busy_node()
    r = _registry_with(PlayerCollector(node, node, counters.player_events, counters.frames))
    assert r.get_sample_value("lavalink_players_total", {"state": "playing"}) == 2
    assert r.get_sample_value("lavalink_players_total", {"state": "paused"}) == 1
    assert r.get_sample_value("lavalink_players_by_guild_total") == 3
    assert r.get_sample_value("lavalink_voice_connections", {"state": "connected"}) == 3
    assert r.get_sample_value("lavalink_player_events_total", {"type": "start"}) == 1
    assert r.get_sample_value("lavalink_player_duration_seconds_count", {"type": "track"}) == 1
    assert r.get_sample_value("lavalink_audio_frames_sent_total") == 500
    assert r.get_sample_value("lavalink_audio_frames_lost_total") == 2
    assert r.get_sample_value("lavalink_audio_buffer_underruns_total") == 1


def test_system_collector_renders_its_last_snapshot_only() -> None:
    collector = SystemCollector(disk_paths=["."])
    r = _registry_with(collector)
    assert r.get_sample_value("lavalink_cpu_cores") is None  # no snapshot yet: families without samples
    collector.refresh()
    cores = r.get_sample_value("lavalink_cpu_cores")
    assert cores is not None and cores >= 1
    assert r.get_sample_value("lavalink_host_cpu_usage_percent", {"core": "0"}) is not None
    assert r.get_sample_value("lavalink_host_load_average", {"period": "5m"}) is not None
    total = r.get_sample_value("lavalink_disk_total_bytes", {"path": "."})
    used = r.get_sample_value("lavalink_disk_used_bytes", {"path": "."})
    assert total is not None and used is not None and 0 < used <= total
    assert r.get_sample_value("lavalink_host_network_received_bytes_total", {"interface": "lo"}) is not None
    snapshot = collector.snapshot
    assert snapshot is not None and 0 < snapshot.memory_percent < 100


async def test_runtime_collector_reports_gc_lag_tasks_and_pools() -> None:
    lag = LagMonitor(interval_s=0.01)
    gc_monitor = GcMonitor()
    pool = InstrumentedThreadPool("audio", max_workers=1)
    release = threading.Event()
    started = threading.Event()

    def job() -> None:
        started.set()
        release.wait(60)  # released by the test; the bound only keeps a broken test from hanging

    collector = RuntimeCollector(lag, gc_monitor, [pool])
    r = _registry_with(collector)
    gc_monitor.install()
    await lag.start()
    try:
        gc.collect(2)
        running = pool.submit(job)
        waiting = pool.submit(job)
        await asyncio.to_thread(started.wait, 30)
        await asyncio.wait_for(lag.wait_for_samples(2), 30)
        collector.refresh()
        assert (r.get_sample_value("lavalink_gc_collections_total", {"generation": "2"}) or 0) >= 1
        assert (r.get_sample_value("lavalink_gc_duration_seconds_count", {"generation": "2"}) or 0) >= 1
        assert (r.get_sample_value("lavalink_asyncio_tasks") or 0) >= 1
        assert r.get_sample_value("lavalink_event_loop_lag_seconds") is not None
        assert (r.get_sample_value("lavalink_event_loop_delay_seconds_count") or 0) >= 2
        assert r.get_sample_value("lavalink_threads_total", {"pool": "audio", "state": "active"}) == 1
        assert r.get_sample_value("lavalink_thread_pool_size", {"pool": "audio"}) == 1
        assert r.get_sample_value("lavalink_thread_pool_queue_depth", {"pool": "audio"}) == 1
        rss = r.get_sample_value("lavalink_memory_used_bytes", {"type": "total"})
        peak = r.get_sample_value("lavalink_memory_peak_bytes")
        assert rss is not None and peak is not None and 0 < rss <= peak
        # The node's own CPU, from its CPU time: work done in this process shows, in percent of all cores.
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:
            pass
        collector.refresh()
        busy = r.get_sample_value("lavalink_cpu_usage_percent")
        assert busy is not None and 0 < busy <= 100
    finally:
        release.set()
        running.result(60)
        waiting.result(60)
        pool.shutdown()
        await lag.stop()
        gc_monitor.uninstall()


def test_readiness_collector_follows_the_probe() -> None:
    readiness = Readiness()
    r = CollectorRegistry()
    r.register(ReadinessCollector(readiness))
    assert r.get_sample_value("lavalink_node_state", {"state": "starting"}) == 1
    readiness.mark_ready()
    assert r.get_sample_value("lavalink_node_state", {"state": "ready"}) == 1
    assert r.get_sample_value("lavalink_node_state", {"state": "starting"}) == 0
    readiness.mark_draining()
    assert r.get_sample_value("lavalink_node_state", {"state": "draining"}) == 1
