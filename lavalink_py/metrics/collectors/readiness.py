"""The node's own readiness as a metric, so an alert can see a node stuck starting or draining: Prometheus
scrapes /metrics but never calls /v4/ready (that is Kubernetes' probe)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, get_args

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import gauge
from lavalink_py.metrics.health import ReadyState

STATES: tuple[str, ...] = get_args(ReadyState)


class ReadinessSource(Protocol):
    @property
    def state(self) -> ReadyState: ...


class ReadinessCollector:
    name = "readiness"

    def __init__(self, readiness: ReadinessSource) -> None:
        self._readiness = readiness

    def collect(self) -> Iterable[Metric]:
        return self._families(self._readiness.state)

    def describe(self) -> Iterable[Metric]:
        return self._families(None)

    def _families(self, current: str | None) -> Iterable[Metric]:
        doc = "1 for the node's readiness state (what /v4/ready answers), else 0."
        state = gauge("lavalink_node_state", doc, ["state"])
        if current is not None:
            for name in STATES:
                state.add_metric([name], 1.0 if name == current else 0.0)
        return (state,)
