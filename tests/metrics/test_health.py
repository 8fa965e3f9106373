"""Health evaluation: each check against its threshold, the report shape, and readiness."""

from __future__ import annotations

from lavalink_py.metrics.guard import CollectorStatus
from lavalink_py.metrics.health import HealthInputs, HealthThresholds, Readiness, evaluate, http_status
from lavalink_py.metrics.inputs import VoiceStatsSnapshot

THRESHOLDS = HealthThresholds(memory_percent=90, disk_percent=85, event_loop_lag_ms=100, voice_failed_ratio=0.5)
GOOD = HealthInputs(
    memory_percent=40.0,
    disk_percent=50.0,
    event_loop_lag_ms=3.0,
    voice=VoiceStatsSnapshot(connected=4, connecting=1, failed=1),
    sources={"http": True, "youtube": True},
    collectors={"system": CollectorStatus()},
)


def test_all_checks_passing_is_healthy_200() -> None:
    report = evaluate(GOOD, THRESHOLDS)
    assert report["status"] == "healthy"
    assert report["failing"] == []
    assert set(report["checks"]) == {"memory", "disk", "event_loop_lag", "voice", "sources", "collectors"}
    assert report["checks"]["memory"] == {"status": "pass", "value": 40.0, "threshold": 90, "unit": "percent"}
    assert http_status(report) == 200


def test_thresholds_exceeded_name_the_failing_checks_503() -> None:
    inputs = HealthInputs(
        memory_percent=95.0,
        disk_percent=90.0,
        event_loop_lag_ms=250.0,
        voice=VoiceStatsSnapshot(connected=1, failed=3),
        sources={"http": False},
        collectors={},
    )
    report = evaluate(inputs, THRESHOLDS)
    assert report["status"] == "unhealthy"
    assert report["failing"] == ["memory", "disk", "event_loop_lag", "voice", "sources"]
    assert report["checks"]["voice"]["value"] == 0.75
    assert report["checks"]["sources"]["unavailable"] == ["http"]
    assert http_status(report) == 503


def test_value_equal_to_threshold_still_passes() -> None:
    inputs = HealthInputs(memory_percent=90.0, disk_percent=85.0, event_loop_lag_ms=100.0)
    assert evaluate(inputs, THRESHOLDS)["failing"] == []


def test_missing_data_and_broken_collectors_warn_without_failing() -> None:
    inputs = HealthInputs(
        sources={"http": True, "youtube": False},
        collectors={"system": CollectorStatus(ok=False, reason="stale"), "http": CollectorStatus()},
    )
    report = evaluate(inputs, THRESHOLDS)
    assert report["status"] == "healthy"
    checks = report["checks"]
    assert checks["memory"]["status"] == "warn" and checks["memory"]["value"] is None
    assert checks["sources"]["status"] == "warn"
    assert checks["collectors"] == {"status": "warn", "value": 1, "threshold": 0, "failing": {"system": "stale"}}


def test_no_source_manager_at_all_fails() -> None:
    report = evaluate(HealthInputs(sources={}), THRESHOLDS)
    assert report["failing"] == ["sources"]


def test_no_voice_connections_pass() -> None:
    report = evaluate(HealthInputs(voice=VoiceStatsSnapshot()), THRESHOLDS)
    assert report["checks"]["voice"]["status"] == "pass"


def test_readiness_goes_starting_ready_draining_and_never_back() -> None:
    readiness = Readiness()
    seen = [(readiness.state, readiness.ready)]
    for step in (readiness.mark_ready, readiness.mark_draining, readiness.mark_ready):
        step()
        seen.append((readiness.state, readiness.ready))
    assert seen == [("starting", False), ("ready", True), ("draining", False), ("draining", False)]
