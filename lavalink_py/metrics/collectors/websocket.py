"""Client WebSocket traffic: connections from the sessions, messages/errors/latency from WebSocketStats."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counts_family, gauge, histogram, histograms_family
from lavalink_py.metrics.counters import WebSocketStats
from lavalink_py.metrics.inputs import SessionStatsSnapshot, SessionStatsSource


class WebSocketCollector:
    name = "websocket"

    def __init__(self, stats: WebSocketStats, sessions: SessionStatsSource) -> None:
        self._stats = stats
        self._sessions = sessions

    def collect(self) -> Iterable[Metric]:
        return self._families(self._sessions.session_stats())

    def describe(self) -> Iterable[Metric]:
        return self._families(None)

    def _families(self, sessions: SessionStatsSnapshot | None) -> Iterable[Metric]:
        s = self._stats
        # A gauge despite `_total`: the Lavalink Rust guide's name, kept for its dashboards (docs/metrics.md).
        connections = gauge(
            "lavalink_websocket_connections_total",
            "Client sessions by state: active (socket open) or resumable (kept without a socket).",
            ["state"],
        )
        if sessions is not None:
            connections.add_metric(["active"], sessions.connected)
            connections.add_metric(["resumable"], sessions.resumable)
        yield connections
        yield counts_family(
            "lavalink_websocket_messages",
            "WebSocket messages by direction and frame type.",
            ["direction", "type"],
            s.messages.items(),
        )
        yield counts_family("lavalink_websocket_errors", "WebSocket failures by kind.", ["type"], s.errors.items())
        yield histograms_family(
            "lavalink_websocket_message_size_bytes",
            "Size of WebSocket message payloads.",
            ["direction"],
            s.sizes.items(),
        )
        latency = histogram("lavalink_websocket_latency_seconds", "Round trip of WebSocket pings to clients.")
        if sessions is not None:
            latency.add_metric([], s.latency.cumulative(), s.latency.sum)
        yield latency
