"""Collector classes the loading tests point dotted paths at."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import GaugeMetricFamily, Metric


class QueueCollector:
    name = "queue"

    def collect(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("plugin_queue_length", "Tracks queued by a plugin.", value=4)]

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("plugin_queue_length", "Tracks queued by a plugin.")]


class ClashingCollector:
    def collect(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("lavalink_players_total", "Claims a built-in name.", value=1)]

    def describe(self) -> Iterable[Metric]:
        return self.collect()


class NotACollector:
    pass
