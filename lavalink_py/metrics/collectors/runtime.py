"""The Python runtime: the analog of the Lavalink Rust guide's Tokio metrics.

Process memory and CPU come from psutil (a /proc read: refreshed in a thread). GC, event-loop lag, asyncio
tasks and thread pools come from in-process probes that keep plain numbers, read live on scrape.
"""

from __future__ import annotations

import resource
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psutil
from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import SnapshotCollector, add_histogram, counter, gauge, histogram
from lavalink_py.metrics.inputs import ThreadPoolSource
from lavalink_py.metrics.probes import GC_GENERATIONS, GcMonitor, LagMonitor

# ru_maxrss is in KiB on Linux, bytes on macOS.
_MAXRSS_UNIT = 1 if sys.platform == "darwin" else 1024


@dataclass(frozen=True, slots=True)
class ProcessSnapshot:
    rss_bytes: int
    peak_rss_bytes: int
    cpu_seconds: float
    # The process's CPU use since the previous snapshot, in percent of all the machine's cores (0-100).
    cpu_percent: float
    open_fds: int
    start_time_s: float


class RuntimeCollector(SnapshotCollector[ProcessSnapshot]):
    name = "runtime"

    def __init__(self, lag: LagMonitor, gc_monitor: GcMonitor, pools: Sequence[ThreadPoolSource] = ()) -> None:
        super().__init__()
        self._process = psutil.Process()
        self._cores = psutil.cpu_count() or 1
        self._process.cpu_percent()  # primes the delta; the first call always answers 0.0
        self._lag = lag
        self._gc = gc_monitor
        self._pools = tuple(pools)

    def take_snapshot(self) -> ProcessSnapshot:
        p = self._process
        with p.oneshot():
            memory = p.memory_info()
            cpu = p.cpu_times()
            busy = p.cpu_percent() / self._cores
            fds = p.num_fds()
            started = p.create_time()
        # The kernel updates its high-water mark lazily, so it can trail the RSS just read.
        peak = max(memory.rss, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * _MAXRSS_UNIT)
        return ProcessSnapshot(memory.rss, peak, cpu.user + cpu.system, busy, fds, started)

    def families(self, snapshot: ProcessSnapshot | None) -> Iterable[Metric]:
        yield from self._process_families(snapshot)
        yield from self._gc_families(live=snapshot is not None)
        yield from self._loop_families(live=snapshot is not None)
        yield from self._thread_families(live=snapshot is not None)

    def _process_families(self, s: ProcessSnapshot | None) -> Iterable[Metric]:
        used = gauge("lavalink_memory_used_bytes", "Process memory; type=total is the resident set size.", ["type"])
        peak = gauge("lavalink_memory_peak_bytes", "Peak resident set size of the process.")
        cpu = counter("lavalink_process_cpu_seconds", "User and system CPU time of the process.")
        # The node's own CPU, what an operator alerts on; the host's per core is lavalink_host_cpu_usage_percent.
        busy = gauge(
            "lavalink_cpu_usage_percent",
            "CPU used by this node over the last interval, in percent of all the machine's cores (0-100).",
        )
        fds = gauge("lavalink_process_open_fds", "Open file descriptors (sockets included).")
        start = gauge("lavalink_process_start_time_seconds", "Process start, in seconds since the Unix epoch.")
        if s is not None:
            used.add_metric(["total"], s.rss_bytes)
            peak.add_metric([], s.peak_rss_bytes)
            cpu.add_metric([], s.cpu_seconds)
            busy.add_metric([], s.cpu_percent)
            fds.add_metric([], s.open_fds)
            start.add_metric([], s.start_time_s)
        return (used, peak, cpu, busy, fds, start)

    def _gc_families(self, live: bool) -> Iterable[Metric]:
        g = self._gc
        collections = counter("lavalink_gc_collections", "Garbage collections per generation.", ["generation"])
        collected = counter("lavalink_gc_collected_objects", "Objects freed by the collector.", ["generation"])
        uncollectable = counter(
            "lavalink_gc_uncollectable_objects", "Objects the collector found but could not free.", ["generation"]
        )
        pauses = histogram("lavalink_gc_duration_seconds", "Pause of each garbage collection.", ["generation"])
        if live:
            for gen in range(GC_GENERATIONS):
                label = [str(gen)]
                collections.add_metric(label, g.collections[gen])
                collected.add_metric(label, g.collected[gen])
                uncollectable.add_metric(label, g.uncollectable[gen])
                add_histogram(pauses, label, g.pauses[gen])
        return (collections, collected, uncollectable, pauses)

    def _loop_families(self, live: bool) -> Iterable[Metric]:
        lag = gauge("lavalink_event_loop_lag_seconds", "How late the lag monitor woke on its latest tick.")
        delays = histogram("lavalink_event_loop_delay_seconds", "Lateness of every lag-monitor wake-up.")
        tasks = gauge("lavalink_asyncio_tasks", "Unfinished asyncio tasks on the event loop.")
        if live:
            lag.add_metric([], self._lag.last_lag_s)
            add_histogram(delays, [], self._lag.delays)
            tasks.add_metric([], self._lag.tasks)
        return (lag, delays, tasks)

    def _thread_families(self, live: bool) -> Iterable[Metric]:
        # A gauge despite `_total`: the Lavalink Rust guide's name, kept for its dashboards (docs/metrics.md).
        threads = gauge("lavalink_threads_total", "Threads by pool and state (active, idle).", ["pool", "state"])
        size = gauge("lavalink_thread_pool_size", "Maximum workers of each thread pool.", ["pool"])
        queue = gauge("lavalink_thread_pool_queue_depth", "Jobs waiting for a worker in each pool.", ["pool"])
        if live:
            in_pools = 0
            for pool in self._pools:
                s = pool.pool_stats()
                in_pools += s.threads
                threads.add_metric([pool.pool_name, "active"], s.active)
                threads.add_metric([pool.pool_name, "idle"], max(0, s.threads - s.active))
                size.add_metric([pool.pool_name], s.max_workers)
                queue.add_metric([pool.pool_name], s.queued)
            threads.add_metric(["other", "active"], max(0, threading.active_count() - in_pools))
        return (threads, size, queue)
