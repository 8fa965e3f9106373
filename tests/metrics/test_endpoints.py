"""The handlers served by a real aiohttp server: /metrics (auth, negotiation, filtering), health, ready, alive."""

from __future__ import annotations

import asyncio
import base64
import gc

import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from lavalink_py.metrics.config import MetricsConfig
from lavalink_py.metrics.handlers import (
    build_metrics_app,
    make_alive_handler,
    make_health_handler,
    make_metrics_handler,
    make_ready_handler,
)
from lavalink_py.metrics.health import HealthThresholds, Readiness
from lavalink_py.metrics.registry import NodeMetrics
from tests.metrics.conftest import FakeNode


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        _basic("prometheus", "wrong"),
        _basic("someone", "s3cret"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Bearer s3cret"},
    ],
    ids=["missing", "wrong-password", "wrong-user", "garbage", "wrong-scheme"],
)
async def test_metrics_port_rejects_bad_credentials_with_a_challenge(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics, headers: dict[str, str]
) -> None:
    client = await aiohttp_client(build_metrics_app(node_metrics, "/metrics", ("prometheus", "s3cret")))
    response = await client.get("/metrics", headers=headers)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


async def test_metrics_port_serves_text_format_with_right_credentials(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics
) -> None:
    client = await aiohttp_client(build_metrics_app(node_metrics, "/metrics", ("prometheus", "s3cret")))
    response = await client.get("/metrics", headers=_basic("prometheus", "s3cret"))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    playing = [s for s in families["lavalink_players_total"].samples if s.labels["state"] == "playing"]
    assert playing[0].value == 2
    assert playing[0].labels["environment"] == "test"


async def test_metrics_negotiates_openmetrics_and_filters_by_name(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics
) -> None:
    client = await aiohttp_client(build_metrics_app(node_metrics))
    response = await client.get(
        "/metrics",
        params=[("name[]", "lavalink_players_total"), ("name[]", "lavalink_http_requests_total")],
        headers={"Accept": "application/openmetrics-text; version=1.0.0"},
    )
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/openmetrics-text")
    body = await response.text()
    assert body.rstrip().endswith("# EOF")
    names = {line.split()[2] for line in body.splitlines() if line.startswith("# TYPE")}
    assert names == {"lavalink_players_total", "lavalink_http_requests"}


async def test_health_is_200_when_healthy_and_503_naming_failures(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics, node: FakeNode
) -> None:
    relaxed = HealthThresholds(memory_percent=100, disk_percent=100, event_loop_lag_ms=60_000)
    impossible = HealthThresholds(memory_percent=0, disk_percent=100, event_loop_lag_ms=60_000)
    app = web.Application()
    app.router.add_get("/ok", make_health_handler(node_metrics, relaxed, voice=node, sources=node))
    app.router.add_get("/bad", make_health_handler(node_metrics, impossible, voice=node, sources=node))
    client = await aiohttp_client(app)
    ok = await client.get("/ok")
    assert ok.status == 200
    body = await ok.json()
    assert body["status"] == "healthy"
    assert body["checks"]["voice"]["connected"] == 3
    bad = await client.get("/bad")
    assert bad.status == 503
    assert (await bad.json())["failing"] == ["memory"]


async def test_ready_follows_the_readiness_state_and_alive_answers(aiohttp_client: AiohttpClient) -> None:
    readiness = Readiness()
    app = web.Application()
    app.router.add_get("/v4/ready", make_ready_handler(readiness))
    app.router.add_get("/v4/alive", make_alive_handler())
    client = await aiohttp_client(app)
    assert (await client.get("/v4/ready")).status == 503
    readiness.mark_ready()
    response = await client.get("/v4/ready")
    assert response.status == 200 and (await response.json()) == {"status": "ready"}
    readiness.mark_draining()
    response = await client.get("/v4/ready")
    assert response.status == 503 and (await response.json()) == {"status": "draining"}
    assert (await client.get("/v4/alive")).status == 200


async def test_cleanup_ctx_starts_and_stops_the_background_pieces(aiohttp_client: AiohttpClient) -> None:
    metrics = NodeMetrics(MetricsConfig(lag_interval_s=0.01))
    app = web.Application()
    app.cleanup_ctx.append(metrics.cleanup_ctx)
    app.router.add_get("/metrics", make_metrics_handler(metrics))

    def background_running() -> tuple[bool, bool]:
        return metrics.lag_monitor.running, metrics.gc_monitor._callback in gc.callbacks

    client = await aiohttp_client(app)
    assert background_running() == (True, True)
    await asyncio.wait_for(metrics.lag_monitor.wait_for_samples(1), 5)
    body = await (await client.get("/metrics")).text()
    assert "lavalink_memory_used_bytes{" in body  # the runtime snapshot was taken during start-up
    await client.close()
    assert background_running() == (False, False)


async def test_health_reports_no_memory_data_while_the_system_snapshot_is_stale(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics
) -> None:
    app = web.Application()
    app.router.add_get("/v4/health", make_health_handler(node_metrics, HealthThresholds()))
    client = await aiohttp_client(app)
    node_metrics.system.refreshed_at = -1e9  # as if its refresh had hung since long ago
    body = await (await client.get("/v4/health")).json()
    assert body["checks"]["memory"] == {
        "status": "warn",
        "value": None,
        "threshold": 90.0,
        "unit": "percent",
        "message": "no fresh data",
    }


async def test_metrics_are_gzipped_when_the_client_accepts_it(
    aiohttp_client: AiohttpClient, node_metrics: NodeMetrics
) -> None:
    client = await aiohttp_client(build_metrics_app(node_metrics))
    response = await client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "lavalink_players_total" in await response.text()  # aiohttp's client inflates it
