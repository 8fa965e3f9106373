"""What every collector shares: the cheap/costly split and helpers that turn plain counters into families.

A cheap collector is a plain prometheus-client custom collector whose `collect()` reads in-memory counters.
A costly one subclasses `SnapshotCollector`: the registry's refresher calls `refresh()` in a thread every
`collection_interval`, and `collect()` only renders the last snapshot.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import ClassVar, Generic, TypeVar

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from lavalink_py.metrics.counters import Histogram

S = TypeVar("S")


class SnapshotCollector(ABC, Generic[S]):
    """A collector whose data is costly to gather (syscalls, /proc reads): gathered off the event loop."""

    name: ClassVar[str]

    def __init__(self) -> None:
        self._snapshot: S | None = None
        # time.monotonic() of the last successful refresh; None until the first one.
        self.refreshed_at: float | None = None

    @property
    def snapshot(self) -> S | None:
        return self._snapshot

    @abstractmethod
    def take_snapshot(self) -> S:
        """Gather fresh data. Runs in a worker thread: may block, must not touch the event loop."""

    @abstractmethod
    def families(self, snapshot: S | None) -> Iterable[Metric]:
        """The metric families for `snapshot`; with None, the families without samples (for describe)."""

    def refresh(self) -> None:
        snapshot = self.take_snapshot()
        # One reference assignment: a scrape on the loop sees the old or the new snapshot, never half of one.
        self._snapshot = snapshot
        self.refreshed_at = time.monotonic()

    def collect(self) -> Iterable[Metric]:
        return self.families(self._snapshot)

    def describe(self) -> Iterable[Metric]:
        return self.families(None)


def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels))


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, labels=list(labels))


def histogram(name: str, doc: str, labels: Sequence[str] = ()) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, labels=list(labels))


def add_histogram(family: HistogramMetricFamily, labels: Sequence[str], hist: Histogram) -> None:
    family.add_metric(list(labels), hist.cumulative(), hist.sum)


LabelKey = tuple[str, ...] | str


def _label_values(key: LabelKey) -> list[str]:
    return list(key) if isinstance(key, tuple) else [key]


def counts_family(name: str, doc: str, labels: Sequence[str], items: Iterable[tuple[LabelKey, int]]) -> Metric:
    family = counter(name, doc, labels)
    for key, value in items:
        family.add_metric(_label_values(key), value)
    return family


def histograms_family(
    name: str, doc: str, labels: Sequence[str], items: Iterable[tuple[LabelKey, Histogram]]
) -> Metric:
    family = histogram(name, doc, labels)
    for key, hist in items:
        add_histogram(family, _label_values(key), hist)
    return family
