"""Mirror-search fallback (a link of an unplayable service converted to a playable search).

The bundled lavasrc plugin (lavalink_py/bundled/lavasrc) bumps the node's FallbackStats through its plugin context.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counts_family, histograms_family
from lavalink_py.metrics.counters import FallbackStats


class FallbackCollector:
    name = "fallback"

    def __init__(self, stats: FallbackStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        s = self._stats
        yield counts_family(
            "lavalink_fallback_conversions",
            "Fallback conversions by service and result (success, failure).",
            ["service", "result"],
            s.conversions.items(),
        )
        yield histograms_family(
            "lavalink_fallback_search_duration_seconds",
            "Time spent searching a playable mirror, by service.",
            ["service"],
            s.search_durations.items(),
        )
        yield counts_family(
            "lavalink_fallback_cache_hits", "Fallback lookups answered from cache.", ["service"], s.cache_hits.items()
        )
        yield counts_family(
            "lavalink_fallback_cache_misses",
            "Fallback lookups that missed the cache.",
            ["service"],
            s.cache_misses.items(),
        )

    def describe(self) -> Iterable[Metric]:
        return self.collect()
