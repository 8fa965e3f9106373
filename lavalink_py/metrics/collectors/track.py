"""Track resolution (`loadtracks`), from the TrackLoadStats the REST handler bumps per load."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counts_family, histograms_family
from lavalink_py.metrics.counters import TrackLoadStats


class TrackCollector:
    name = "track"

    def __init__(self, stats: TrackLoadStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        s = self._stats
        yield counts_family(
            "lavalink_tracks_loaded", "Identifiers resolved to tracks, by source.", ["source"], s.loaded.items()
        )
        yield counts_family(
            "lavalink_tracks_failed",
            "Identifiers that resolved to nothing or failed, by source and reason (not_found, timeout, error).",
            ["source", "reason"],
            s.failed.items(),
        )
        yield histograms_family(
            "lavalink_track_load_duration_seconds",
            "Time to resolve an identifier, by source.",
            ["source"],
            s.durations.items(),
        )

    def describe(self) -> Iterable[Metric]:
        return self.collect()
