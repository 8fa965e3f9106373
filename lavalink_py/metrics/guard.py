"""Isolation of collectors: one that raises, is slow, or has a stale snapshot is skipped for that scrape.

prometheus-client lets one raising collector fail the whole scrape, so every collector is registered wrapped in
a GuardedCollector. Skips are logged and counted in `lavalink_collector_errors_total{collector,reason}`.
A synchronous collect() cannot be interrupted: the guard can only drop a result that came too late. That is
why costly collectors are SnapshotCollectors whose refresh runs off the loop and whose collect() only reads.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from lavalink_py.metrics.collectors.base import SnapshotCollector, counts_family, gauge
from lavalink_py.metrics.counters import KeyedCounts

log = logging.getLogger(__name__)

Reason = Literal["exception", "timeout", "stale", "load"]


@dataclass(slots=True)
class CollectorStatus:
    ok: bool = True
    reason: Reason | None = None
    duration_s: float = 0.0


class CollectorBook:
    """What happened to each collector: status of its last scrape and error counts (read by health)."""

    def __init__(self) -> None:
        self.errors: KeyedCounts[tuple[str, str]] = KeyedCounts(("other", "other"))
        self.status: dict[str, CollectorStatus] = {}

    def failed(self, name: str, reason: Reason, duration_s: float = 0.0) -> bool:
        """Count a failure; True if it is news (the collector was fine or failed otherwise before)."""
        self.errors.add((name, reason))
        previous = self.status.get(name)
        self.status[name] = CollectorStatus(ok=False, reason=reason, duration_s=duration_s)
        return previous is None or previous.reason != reason

    def succeeded(self, name: str, duration_s: float) -> None:
        self.status[name] = CollectorStatus(ok=True, reason=None, duration_s=duration_s)


def with_labels(family: Metric, labels: Mapping[str, str]) -> Metric:
    """A copy of `family` whose samples carry `labels` too (a sample's own label wins on a clash)."""
    if not labels:
        return family
    out = copy.copy(family)
    # Sample(...) directly: namedtuple._replace costs twice as much, and this runs for every sample of a scrape.
    out.samples = [
        Sample(s.name, {**labels, **s.labels}, s.value, s.timestamp, s.exemplar, s.native_histogram)
        for s in family.samples
    ]
    return out


class GuardedCollector:
    def __init__(
        self,
        name: str,
        inner: Collector,
        book: CollectorBook,
        *,
        timeout_s: float,
        labels: Mapping[str, str],
        stale_after_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.name = name
        self.inner = inner
        self._book = book
        self._timeout_s = timeout_s
        self._labels = dict(labels)
        self._stale_after_s = stale_after_s
        self._clock = clock
        self._timer = timer

    def describe(self) -> Iterable[Metric]:
        describe = getattr(self.inner, "describe", None)
        return list(describe()) if callable(describe) else []

    def is_stale(self) -> bool:
        inner = self.inner
        if not isinstance(inner, SnapshotCollector) or self._stale_after_s is None:
            return False
        refreshed_at = inner.refreshed_at
        return refreshed_at is None or self._clock() - refreshed_at > self._stale_after_s

    def collect(self) -> Iterable[Metric]:
        # Each failed scrape is counted; only a change of state is logged at warning level (no log flood).
        if self.is_stale():
            news = self._book.failed(self.name, "stale")
            log.log(_level(news), "collector %s skipped: its snapshot is stale (refresh failing or hung)", self.name)
            return []
        started = self._timer()
        try:
            families = list(self.inner.collect())
        except Exception:
            news = self._book.failed(self.name, "exception", self._timer() - started)
            log.log(_level(news), "collector %s raised; skipped for this scrape", self.name, exc_info=True)
            return []
        duration_s = self._timer() - started
        if duration_s > self._timeout_s:
            news = self._book.failed(self.name, "timeout", duration_s)
            log.log(
                _level(news), "collector %s took %.3fs (limit %.3fs); skipped", self.name, duration_s, self._timeout_s
            )
            return []
        if self._book.status.get(self.name, CollectorStatus()).ok is False:
            log.warning("collector %s recovered", self.name)
        self._book.succeeded(self.name, duration_s)
        return [with_labels(f, self._labels) for f in families]


def _level(news: bool) -> int:
    return logging.WARNING if news else logging.DEBUG


class CollectorBookCollector:
    """Exports the CollectorBook. Registered last so a plain scrape reports on the scrape it is part of."""

    name = "collectors"

    def __init__(self, book: CollectorBook) -> None:
        self._book = book

    def collect(self) -> Iterable[Metric]:
        yield counts_family(
            "lavalink_collector_errors",
            "Collectors skipped or failed, by collector and reason (exception, timeout, stale, load).",
            ["collector", "reason"],
            self._book.errors.items(),
        )
        up = gauge("lavalink_collector_up", "1 if the collector was served on its latest scrape.", ["collector"])
        duration = gauge(
            "lavalink_collector_duration_seconds", "Time the collector's latest collect() took.", ["collector"]
        )
        for name, status in list(self._book.status.items()):
            up.add_metric([name], 1.0 if status.ok else 0.0)
            duration.add_metric([name], status.duration_s)
        yield up
        yield duration

    def describe(self) -> Iterable[Metric]:
        return self.collect()
