"""Health evaluation (pure) and readiness state.

`evaluate(inputs, thresholds)` turns numbers already gathered into the /v4/health report:
    {"status": "healthy"|"unhealthy", "failing": [names], "checks": {name: {"status", "value", "threshold", ...}}}
A check is "pass", "warn" (reported, not failing: e.g. no data yet, a broken collector) or "fail".
The node is healthy (HTTP 200) when no check fails, else unhealthy (HTTP 503).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from lavalink_py.metrics.guard import CollectorStatus
from lavalink_py.metrics.inputs import VoiceStatsSnapshot

CheckStatus = Literal["pass", "warn", "fail"]
ReadyState = Literal["starting", "ready", "draining"]


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    """health.thresholds.*: a check fails above its threshold."""

    memory_percent: float = 90.0
    disk_percent: float = 90.0
    event_loop_lag_ms: float = 250.0
    # Share of voice connections that gave up; not a config key yet (see docs/metrics.md).
    voice_failed_ratio: float = 0.5


@dataclass(frozen=True, slots=True)
class HealthInputs:
    memory_percent: float | None = None
    disk_percent: float | None = None
    event_loop_lag_ms: float | None = None
    voice: VoiceStatsSnapshot | None = None
    sources: Mapping[str, bool] | None = None
    collectors: Mapping[str, CollectorStatus] | None = None


class HealthReport(TypedDict):
    status: Literal["healthy", "unhealthy"]
    failing: list[str]
    checks: dict[str, dict[str, Any]]


def _limit_check(value: float | None, threshold: float, unit: str) -> dict[str, Any]:
    if value is None:
        return {"status": "warn", "value": None, "threshold": threshold, "unit": unit, "message": "no fresh data"}
    status: CheckStatus = "fail" if value > threshold else "pass"
    return {"status": status, "value": round(value, 3), "threshold": threshold, "unit": unit}


def _voice_check(voice: VoiceStatsSnapshot | None, threshold: float) -> dict[str, Any]:
    if voice is None:
        return {"status": "pass", "value": None, "threshold": threshold, "message": "not reported"}
    total = voice.connected + voice.connecting + voice.failed
    ratio = voice.failed / total if total else 0.0
    return {
        "status": "fail" if ratio > threshold else "pass",
        "value": round(ratio, 3),
        "threshold": threshold,
        "connected": voice.connected,
        "connecting": voice.connecting,
        "failed": voice.failed,
    }


def _sources_check(sources: Mapping[str, bool] | None) -> dict[str, Any]:
    if sources is None:
        return {"status": "pass", "value": None, "threshold": None, "message": "not reported"}
    down = sorted(name for name, ok in sources.items() if not ok)
    up = len(sources) - len(down)
    status: CheckStatus = "fail" if up == 0 else "warn" if down else "pass"
    check: dict[str, Any] = {"status": status, "value": up, "threshold": 1, "unavailable": down}
    if not sources:
        check["message"] = "no source manager registered"
    return check


def _collectors_check(collectors: Mapping[str, CollectorStatus] | None) -> dict[str, Any]:
    # Broken metrics do not make the node unable to play audio: warn, never fail.
    failing = {name: s.reason for name, s in (collectors or {}).items() if not s.ok}
    return {"status": "warn" if failing else "pass", "value": len(failing), "threshold": 0, "failing": failing}


def evaluate(inputs: HealthInputs, thresholds: HealthThresholds) -> HealthReport:
    checks: dict[str, dict[str, Any]] = {
        "memory": _limit_check(inputs.memory_percent, thresholds.memory_percent, "percent"),
        "disk": _limit_check(inputs.disk_percent, thresholds.disk_percent, "percent"),
        "event_loop_lag": _limit_check(inputs.event_loop_lag_ms, thresholds.event_loop_lag_ms, "ms"),
        "voice": _voice_check(inputs.voice, thresholds.voice_failed_ratio),
        "sources": _sources_check(inputs.sources),
        "collectors": _collectors_check(inputs.collectors),
    }
    failing = [name for name, check in checks.items() if check["status"] == "fail"]
    return {"status": "unhealthy" if failing else "healthy", "failing": failing, "checks": checks}


def http_status(report: HealthReport) -> int:
    return 200 if report["status"] == "healthy" else 503


class Readiness:
    """starting -> ready -> draining; the app flips it, /v4/ready answers 200 only while ready."""

    def __init__(self) -> None:
        self.state: ReadyState = "starting"

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def mark_ready(self) -> None:
        if self.state == "starting":
            self.state = "ready"

    def mark_draining(self) -> None:
        self.state = "draining"
