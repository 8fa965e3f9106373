"""A real Prometheus scrapes /metrics with basic auth; every dashboard and rule expression runs against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

import pytest
import pytest_asyncio
from aiohttp import web

from lavalink_py.metrics.config import MetricsConfig
from lavalink_py.metrics.handlers import build_metrics_app
from lavalink_py.metrics.probes import InstrumentedThreadPool
from lavalink_py.metrics.registry import NodeMetrics
from tests.metrics.conftest import busy_node, populate
from tests.metrics.prometheus_harness import (
    RULES,
    PrometheusServer,
    ScrapeTarget,
    dashboard_expressions,
    empty_dashboard_queries,
    rule_expressions,
    run_prometheus,
)

JOB = "lavalink"
USER, PASSWORD = "prometheus", "s3cret"
BAD_AUTH_JOB = "badauth"  # outside the rules' job=~"lavalink.*", so LavalinkDown ignores it

# One Prometheus for the module: it waits ~5 s (its discovery throttle) before its first scrape.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Stack:
    metrics: NodeMetrics
    target: ScrapeTarget
    prometheus: PrometheusServer


@asynccontextmanager
async def serve_metrics(metrics: NodeMetrics) -> AsyncIterator[ScrapeTarget]:
    """The node's metrics app on a real socket on 127.0.0.1, behind basic auth."""
    runner = web.AppRunner(build_metrics_app(metrics, "/metrics", (USER, PASSWORD)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield ScrapeTarget(f"{host}:{port}", "/metrics", USER, PASSWORD, JOB)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    node = busy_node()
    pool = InstrumentedThreadPool("audio", max_workers=1)
    metrics = NodeMetrics(
        MetricsConfig(labels={"environment": "test"}, lag_interval_s=0.05),
        players=node,
        sessions=node,
        voice=node,
        audio=node,
        thread_pools=[pool],
    )
    populate(metrics.counters)
    await metrics.start()
    workdir = tmp_path_factory.mktemp("prometheus")
    try:
        async with (
            serve_metrics(metrics) as target,
            run_prometheus(
                [target, replace(target, password="wrong", job=BAD_AUTH_JOB)],
                workdir,
                rule_files=sorted(RULES.glob("*.yml")),
            ) as prometheus,
        ):
            yield Stack(metrics, target, prometheus)
    finally:
        await metrics.stop()
        pool.shutdown()


async def test_prometheus_scrapes_with_basic_auth_and_sees_our_labels(stack: Stack) -> None:
    prometheus = stack.prometheus
    await prometheus.wait_for_scrapes(JOB, 1)
    players = await prometheus.query(f'lavalink_players_total{{job="{JOB}", state="playing"}}')
    assert [(s["metric"]["environment"], s["value"][1]) for s in players] == [("test", "2")]


async def test_prometheus_with_wrong_credentials_is_refused(stack: Stack) -> None:
    prometheus = stack.prometheus

    async def refused() -> dict[str, object]:
        while True:
            for target in await prometheus.targets():
                if target["labels"]["job"] == BAD_AUTH_JOB and target["lastError"]:
                    return target
            await asyncio.sleep(0.1)

    target = await asyncio.wait_for(refused(), 60)
    assert target["health"] == "down"
    assert "401" in str(target["lastError"])


async def test_every_dashboard_expression_parses_and_returns_data(stack: Stack) -> None:
    prometheus = stack.prometheus
    # Counters must move between scrapes for rate() to have two points; three scrapes give it room.
    await prometheus.wait_for_scrapes(JOB, 3)
    populate(stack.metrics.counters)
    await prometheus.wait_for_scrapes(JOB, 5)
    assert len(dashboard_expressions(JOB)) > 40
    assert await empty_dashboard_queries(prometheus, JOB) == [], "dashboard queries without data"


async def test_every_rule_expression_parses_and_every_rule_evaluates_cleanly(stack: Stack) -> None:
    prometheus = stack.prometheus
    await prometheus.wait_for_scrapes(JOB, 2)
    expressions = rule_expressions()
    for expression in expressions:
        await prometheus.query(expression.expr)  # raises PrometheusError on a parse error
    rules = await prometheus.wait_for_rule_evaluation()
    assert sorted(r["name"] for r in rules) == sorted(e.origin.split()[-1] for e in expressions)
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    # The fake node state is far below every threshold, so these stay silent; CPU, memory and loop-lag alerts
    # read this machine's real load, and LavalinkDown a scrape that timed out under it: they are left out.
    host_dependent = {"LavalinkHighCPUUsage", "LavalinkHighMemoryUsage", "LavalinkEventLoopLag", "LavalinkDown"}
    assert [r["name"] for r in rules if r["state"] != "inactive" and r["name"] not in host_dependent] == []
