"""Client WebSocket traffic: connections from the sessions, messages/errors/latency from WebSocketStats."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counter, counts_family, gauge, histogram, histograms_family
from lavalink_py.metrics.counters import PersistenceStats, WebSocketStats
from lavalink_py.metrics.inputs import SessionStatsSnapshot, SessionStatsSource


class WebSocketCollector:
    name = "websocket"

    def __init__(
        self, stats: WebSocketStats, sessions: SessionStatsSource, persistence: PersistenceStats | None = None
    ) -> None:
        self._stats = stats
        self._sessions = sessions
        self._persistence = persistence or PersistenceStats()

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
        yield from self._kept(sessions is not None)

    def _kept(self, with_samples: bool) -> Iterable[Metric]:
        """Sessions kept across restarts of the node (sessions/persistence)."""
        p = self._persistence
        restored = counter(
            "lavalink_persistence_restored", "Kept sessions and players restored at start.", ["kind"]
        )
        failures = counter(
            "lavalink_persistence_checkpoint_failures", "Checkpoint writes that failed (unwritable path, full disk)."
        )
        players = gauge("lavalink_persistence_checkpoint_players", "Players written by the latest checkpoint.")
        seconds = histogram(
            "lavalink_persistence_checkpoint_duration_seconds", "Time to write one checkpoint, in its thread."
        )
        if with_samples:
            restored.add_metric(["session"], p.sessions_restored)
            restored.add_metric(["player"], p.players_restored)
            failures.add_metric([], p.checkpoint_failures)
            players.add_metric([], p.checkpoint_players)
            seconds.add_metric([], p.checkpoint_seconds.cumulative(), p.checkpoint_seconds.sum)
        yield restored
        yield counts_family(
            "lavalink_persistence_restore_failures",
            "Kept sessions or players not restored at start, by cause.",
            ["cause"],
            p.restore_failures.items(),
        )
        yield failures
        yield players
        yield seconds
