"""An idle node, as an operator first sees it: every dashboard panel and every rule's measured side returns a
value (0 where nothing happened), so Grafana draws a line at 0 instead of "No data" and a rule's state is known."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.metrics.prometheus_harness import PrometheusServer, dashboard_expressions, rule_expressions, run_prometheus
from tests.node import running_nodes
from tests.test_observability_e2e import JOB, has_data, scrapes, shipped_scrape_config

on_module_loop = pytest.mark.asyncio(loop_scope="module")
_COMPARISON = re.compile(r"^(?P<lhs>.*?)\s*(==|!=|>=|<=|>|<)\s*[0-9.]+\s*$", re.DOTALL)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def idle(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrometheusServer]:
    async with running_nodes() as start:
        node = await start()
        target, rule_files = shipped_scrape_config(node.url.removeprefix("http://"), node.password)
        workdir: Path = tmp_path_factory.mktemp("prometheus-idle")
        async with run_prometheus(target, workdir, rule_files=rule_files) as prometheus:
            await prometheus.wait_for_scrapes(JOB, 1, timeout_s=60)
            # rate() needs two samples in its window; a few more keep a slow scrape from deciding the result.
            await scrapes(prometheus, 3)
            yield prometheus


@on_module_loop
async def test_every_dashboard_panel_draws_a_value(idle: PrometheusServer) -> None:
    empty = {e.origin: e.expr for e in dashboard_expressions(JOB) if not has_data(await idle.query(e.expr))}
    assert empty == {}


@on_module_loop
async def test_every_rule_measures_a_value_and_evaluates(idle: PrometheusServer) -> None:
    unmeasured = {}
    for expression in rule_expressions():
        match = _COMPARISON.match(expression.expr.strip())
        assert match is not None, expression.origin
        if not has_data(await idle.query(match["lhs"])):
            unmeasured[expression.origin] = match["lhs"]
    assert unmeasured == {}
    rules = await idle.wait_for_rule_evaluation()
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
