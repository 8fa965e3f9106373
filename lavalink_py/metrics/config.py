"""Metrics settings as plain frozen dataclasses; the app builds them from `application.yml`.

Keys: metrics.collectors.<name>.{enabled, collection_interval}, metrics.collection_timeout, metrics.labels,
metrics.custom. Errors raise MetricsConfigError naming the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

BUILTIN_COLLECTORS = ("system", "runtime", "player", "track", "fallback", "http", "websocket")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class MetricsConfigError(ValueError):
    """A metrics setting is invalid; the message starts with its key path."""


@dataclass(frozen=True, slots=True)
class CollectorConfig:
    enabled: bool = True
    # Refresh period of costly collectors (system, runtime, custom); cheap ones read live on scrape.
    collection_interval_s: float = 15.0


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    collectors: Mapping[str, CollectorConfig] = field(default_factory=dict)
    # A collector slower than this (on scrape, or in its refresh) is skipped and counted.
    collection_timeout_s: float = 5.0
    # Constant labels on every sample (environment, datacenter, version...).
    labels: Mapping[str, str] = field(default_factory=dict)
    # Dotted class paths ("pkg.module:Class" or "pkg.module.Class") of extra collectors.
    custom: Sequence[str] = ()
    # Paths whose filesystems the system collector and the disk health check watch.
    disk_paths: Sequence[str] = (".",)
    lag_interval_s: float = 0.25
    # The lag monitor's interval while no player is on the frame clock (NodeMetrics' `busy`): fewer wake-ups idle.
    lag_idle_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if self.collection_timeout_s <= 0:
            raise MetricsConfigError("metrics.collection_timeout: must be positive")
        for name, cfg in self.collectors.items():
            if cfg.collection_interval_s <= 0:
                raise MetricsConfigError(f"metrics.collectors.{name}.collection_interval: must be positive")
        for label in self.labels:
            if not _LABEL_NAME.match(label) or label.startswith("__"):
                raise MetricsConfigError(f"metrics.labels.{label}: not a valid Prometheus label name")

    def collector(self, name: str) -> CollectorConfig:
        return self.collectors.get(name, CollectorConfig())
