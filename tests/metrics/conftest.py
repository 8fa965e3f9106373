"""Fixtures shared by the metrics tests: fake node state (the Protocols) and a fully populated NodeMetrics."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import pytest

from lavalink_py.metrics.config import MetricsConfig
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.metrics.inputs import (
    AudioLoadSnapshot,
    PlayerStatsSnapshot,
    SessionStatsSnapshot,
    VoiceStatsSnapshot,
    VoiceWorkerSnapshot,
)
from lavalink_py.metrics.registry import NodeMetrics


@dataclass
class FakeNode:
    """Implements PlayerStatsSource, SessionStatsSource, VoiceStatsSource and SourceStatusSource."""

    players: PlayerStatsSnapshot = field(default_factory=PlayerStatsSnapshot)
    sessions: SessionStatsSnapshot = field(default_factory=SessionStatsSnapshot)
    voice: VoiceStatsSnapshot = field(default_factory=VoiceStatsSnapshot)
    sources: dict[str, bool] = field(default_factory=lambda: {"http": True, "local": True})
    audio: AudioLoadSnapshot = field(default_factory=AudioLoadSnapshot)

    def player_stats(self) -> PlayerStatsSnapshot:
        return self.players

    def session_stats(self) -> SessionStatsSnapshot:
        return self.sessions

    def voice_stats(self) -> VoiceStatsSnapshot:
        return self.voice

    def source_status(self) -> Mapping[str, bool]:
        return self.sources

    def audio_load(self) -> AudioLoadSnapshot:
        return self.audio


def busy_node() -> FakeNode:
    return FakeNode(
        players=PlayerStatsSnapshot(playing=2, paused=1, stopped=1, guilds=3),
        sessions=SessionStatsSnapshot(connected=1, resumable=1),
        voice=VoiceStatsSnapshot(
            connected=3, connecting=0, failed=0,
            workers=(VoiceWorkerSnapshot(0, links=2, packets_sent=500, batches=250, cpu_seconds=0.4),),
        ),
        audio=AudioLoadSnapshot(
            frames_lost={"sourceUnderrun": 3, "encoderLate": 1, "sendLate": 0, "eventLoopLag": 2, "gcPause": 0},
            opus_complexity=8,
            streams_by_complexity={8: 2},
            steps_down=1,
        ),
    )


def populate(counters: NodeCounters) -> None:
    """Bump every counter once, the way the API, players and frame clock will."""
    counters.http.observe("GET", "/v4/info", 200, 0.002, 300)
    counters.http.observe("PATCH", "/v4/sessions/{session_id}/players/{guild_id}", 400, 0.004, 120)
    counters.http.auth_failure("/v4/info", "missing")
    counters.http.bad_request("method")
    counters.websocket.message("outbound", "text", 250)
    counters.websocket.message("inbound", "text", 40)
    counters.websocket.error("protocol")
    counters.websocket.observe_latency(0.02)
    counters.tracks.observe("http", "loaded", 0.3)
    counters.tracks.observe("youtube", "not_found", 1.2)
    counters.player_events.bump("start")
    counters.player_events.bump("end")
    counters.player_events.observe_duration("track", 42.0)
    counters.player_events.observe_duration("session", 300.0)
    counters.frames.sent += 500
    counters.frames.lost += 2
    counters.frames.underruns += 1
    counters.fallback.conversion("spotify", "success", 0.4)
    counters.fallback.conversion("spotify", "failure", 0.9)
    counters.fallback.cache_hit("spotify")
    counters.fallback.cache_miss("spotify")
    counters.persistence.restore_failures.add("expired")
    counters.persistence.observe_write(0.002, 3, True)
    counters.persistence.observe_write(0.0, 3, False)


@pytest.fixture
def node() -> FakeNode:
    return busy_node()


@pytest.fixture
async def node_metrics(node: FakeNode) -> AsyncIterator[NodeMetrics]:
    """A started NodeMetrics with every built-in collector, fed by `node` and populated counters."""
    metrics = NodeMetrics(
        MetricsConfig(labels={"environment": "test"}, lag_interval_s=0.01),
        players=node,
        sessions=node,
        voice=node,
    )
    populate(metrics.counters)
    await metrics.start()
    try:
        yield metrics
    finally:
        await metrics.stop()
