"""NodeMetrics: the node's one CollectorRegistry, its collectors and the background pieces that feed them.

Built once by the app (never the global REGISTRY, no default collectors, no multiprocess mode). The app hands
it the read-only state views and bumps `counters` from the hot paths; it starts and stops the lag monitor, GC
callbacks and the snapshot refresher through `start()`/`stop()` or `cleanup_ctx`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.registry import Collector

from lavalink_py.metrics.collectors.base import SnapshotCollector
from lavalink_py.metrics.collectors.fallback import FallbackCollector
from lavalink_py.metrics.collectors.http import HttpCollector
from lavalink_py.metrics.collectors.player import PlayerCollector
from lavalink_py.metrics.collectors.readiness import ReadinessCollector, ReadinessSource
from lavalink_py.metrics.collectors.runtime import RuntimeCollector
from lavalink_py.metrics.collectors.system import SystemCollector, SystemSnapshot
from lavalink_py.metrics.collectors.track import TrackCollector
from lavalink_py.metrics.collectors.websocket import WebSocketCollector
from lavalink_py.metrics.config import MetricsConfig
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.metrics.guard import CollectorBook, CollectorBookCollector, CollectorStatus, GuardedCollector
from lavalink_py.metrics.inputs import (
    AudioLoadSource,
    FrameClockCounts,
    NoNodeState,
    PlayerStatsSource,
    SessionStatsSource,
    ThreadPoolSource,
    VoiceStatsSource,
)
from lavalink_py.metrics.loading import CollectorLoadError, OffloadedCollector, load_dotted
from lavalink_py.metrics.probes import GcMonitor, LagMonitor
from lavalink_py.metrics.refresher import Refresher, RefreshTarget

log = logging.getLogger(__name__)


class NodeMetrics:
    def __init__(
        self,
        config: MetricsConfig | None = None,
        *,
        counters: NodeCounters | None = None,
        players: PlayerStatsSource | None = None,
        sessions: SessionStatsSource | None = None,
        voice: VoiceStatsSource | None = None,
        thread_pools: Sequence[ThreadPoolSource] = (),
        frame_clock: FrameClockCounts | None = None,
        audio: AudioLoadSource | None = None,
        extra_collectors: Mapping[str, Collector] | None = None,
        readiness: ReadinessSource | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self.config = config or MetricsConfig()
        self.counters = counters or NodeCounters()
        self.book = CollectorBook()
        # `busy`: whether players are playing (app.py: players on the frame clock); idle, the monitor wakes less.
        self.lag_monitor = LagMonitor(
            interval_s=self.config.lag_interval_s, idle_interval_s=self.config.lag_idle_interval_s, busy=busy
        )
        self.gc_monitor = GcMonitor()
        # Always built and refreshed: the health checks read memory and disk from it even if not exported.
        self.system = SystemCollector(self.config.disk_paths)
        self.registry = CollectorRegistry(support_collectors_without_names=True)
        self._guards: dict[str, GuardedCollector] = {}
        self._refresh_targets: list[RefreshTarget] = []
        self._refresher: Refresher | None = None
        empty = NoNodeState()
        builtins: dict[str, Collector] = {
            "system": self.system,
            "runtime": RuntimeCollector(self.lag_monitor, self.gc_monitor, thread_pools),
            "player": PlayerCollector(
                players or empty,
                voice or empty,
                self.counters.player_events,
                self.counters.frames,
                frame_clock,
                audio=audio or empty,
            ),
            "track": TrackCollector(self.counters.tracks),
            "fallback": FallbackCollector(self.counters.fallback),
            "http": HttpCollector(self.counters.http),
            "websocket": WebSocketCollector(self.counters.websocket, sessions or empty, self.counters.persistence),
        }
        for name, collector in builtins.items():
            self._add(name, collector)
        if not self.config.collector("system").enabled:
            self._refresh_targets.append(self._target("system", self.system))
        self._load_custom(extra_collectors or {})
        unknown = set(self.config.collectors) - set(builtins) - set(self._guards) - set(self.book.status)
        for name in sorted(unknown):
            log.warning("metrics.collectors.%s: no collector has this name; its settings are ignored", name)
        if readiness is not None:
            ready = GuardedCollector("readiness", ReadinessCollector(readiness), self.book, **self._guard_args())
            self.registry.register(ready)
        book_collector = CollectorBookCollector(self.book)
        self.registry.register(GuardedCollector("collectors", book_collector, self.book, **self._guard_args()))

    def _guard_args(self) -> dict[str, Any]:
        return {"timeout_s": self.config.collection_timeout_s, "labels": self.config.labels}

    def _target(self, name: str, collector: SnapshotCollector[Any]) -> RefreshTarget:
        return RefreshTarget(name, collector.refresh, self.config.collector(name).collection_interval_s)

    def _add(self, name: str, collector: Collector) -> None:
        if not self.config.collector(name).enabled:
            log.info("collector %s disabled by configuration", name)
            return
        if name in self._guards:
            raise CollectorLoadError(f"metrics: two collectors named {name!r}")
        stale_after = None
        if isinstance(collector, SnapshotCollector):
            stale_after = self._stale_after(name)
        guard = GuardedCollector(name, collector, self.book, stale_after_s=stale_after, **self._guard_args())
        try:
            self.registry.register(guard)
        except ValueError as exc:  # DuplicateTimeseries: a metric name another collector already exports
            raise CollectorLoadError(f"metrics: collector {name!r} clashes with another: {exc}") from exc
        if isinstance(collector, SnapshotCollector):
            self._refresh_targets.append(self._target(name, collector))
        self._guards[name] = guard

    def _stale_after(self, name: str) -> float:
        # One missed refresh (plus its timeout) makes a snapshot stale.
        return 2 * self.config.collector(name).collection_interval_s + self.config.collection_timeout_s

    def _load_custom(self, extra: Mapping[str, Collector]) -> None:
        for name, collector in extra.items():
            costly = collector if isinstance(collector, SnapshotCollector) else OffloadedCollector(name, collector)
            self._add(name, costly)
        # Configured paths must work (start-up fails otherwise).
        for item in [load_dotted(path) for path in self.config.custom]:
            self._add(item.name, OffloadedCollector(item.name, item.collector))

    @property
    def collector_names(self) -> list[str]:
        return list(self._guards)

    def collector_status(self) -> Mapping[str, CollectorStatus]:
        return dict(self.book.status)

    def system_snapshot(self) -> SystemSnapshot | None:
        """The latest host snapshot, or None if there is none or it is stale (its refresh fails or hangs)."""
        refreshed_at = self.system.refreshed_at
        if refreshed_at is None or time.monotonic() - refreshed_at > self._stale_after("system"):
            return None
        return self.system.snapshot

    async def start(self) -> None:
        """Start GC callbacks, the lag monitor and the refresher (after one synchronous round of refreshes)."""
        self.gc_monitor.install()
        await self.lag_monitor.start()
        if self._refresher is None:
            self._refresher = Refresher(self._refresh_targets, self.book, self.config.collection_timeout_s)
            await self._refresher.start()

    async def stop(self) -> None:
        if self._refresher is not None:
            await self._refresher.stop()
            self._refresher = None
        await self.lag_monitor.stop()
        self.gc_monitor.uninstall()

    async def refresh_now(self) -> None:
        """One round of refreshes outside the schedule (tests, or right before a health check)."""
        await Refresher(self._refresh_targets, self.book, self.config.collection_timeout_s).refresh_all()

    async def cleanup_ctx(self, _app: object) -> AsyncIterator[None]:
        """For `app.cleanup_ctx.append(metrics.cleanup_ctx)`."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()
