"""A collector that raises, one that is slow and one that hangs never break a scrape: the rest is served."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterable

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from lavalink_py.metrics.collectors.base import SnapshotCollector
from lavalink_py.metrics.config import CollectorConfig, MetricsConfig
from lavalink_py.metrics.guard import CollectorBook, GuardedCollector
from lavalink_py.metrics.handlers import make_metrics_handler
from lavalink_py.metrics.registry import NodeMetrics


class Raising:
    def collect(self) -> Iterable[Metric]:
        raise RuntimeError("collector bug")


class Hanging:
    """Blocks in collect() until released, like a collector stuck on a dead NFS mount."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.entered = threading.Event()

    def collect(self) -> Iterable[Metric]:
        self.entered.set()
        self.release.wait(30)
        return [GaugeMetricFamily("hanging_value", "Served once released.", value=1)]


class Constant:
    def __init__(self, name: str) -> None:
        self._name = name

    def collect(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(self._name, "A constant.", value=7)]


@pytest.fixture
async def hanging() -> AsyncIterator[Hanging]:
    collector = Hanging()
    yield collector
    collector.release.set()


async def test_scrape_over_http_serves_the_rest_while_one_raises_and_one_hangs(
    aiohttp_client: AiohttpClient, hanging: Hanging
) -> None:
    config = MetricsConfig(
        collection_timeout_s=2.0,  # generous: only the hanging collector may time out, even on a busy machine
        collectors={"hanging": CollectorConfig(collection_interval_s=0.05)},
    )
    metrics = NodeMetrics(config, extra_collectors={"raising": Raising(), "hanging": hanging, "ok": Constant("ok_x")})
    await metrics.start()  # the first refresh round gives up on `hanging` after the timeout
    try:
        assert hanging.entered.is_set()
        app = web.Application()
        app.router.add_get("/metrics", make_metrics_handler(metrics))
        client = await aiohttp_client(app)
        response = await asyncio.wait_for(client.get("/metrics"), timeout=5)
        assert response.status == 200
        families = {f.name: f for f in text_string_to_metric_families(await response.text())}
        assert "ok_x" in families
        assert "lavalink_players_total" in families
        assert "hanging_value" not in families
        errors = {
            (s.labels["collector"], s.labels["reason"]): s.value
            for s in families["lavalink_collector_errors"].samples
            if s.name == "lavalink_collector_errors_total"
        }
        assert errors[("raising", "exception")] >= 1
        assert errors[("hanging", "timeout")] == 1
        assert errors[("hanging", "stale")] >= 1
        up = {s.labels["collector"]: s.value for s in families["lavalink_collector_up"].samples}
        assert up["raising"] == 0 and up["hanging"] == 0 and up["ok"] == 1
    finally:
        await metrics.stop()


async def test_a_hung_refresh_is_not_restarted_and_recovery_clears_staleness(hanging: Hanging) -> None:
    config = MetricsConfig(
        collection_timeout_s=2.0,  # generous: only the hanging collector may time out, even on a busy machine
        collectors={"hanging": CollectorConfig(collection_interval_s=0.05)},
    )
    metrics = NodeMetrics(config, extra_collectors={"hanging": hanging})
    await metrics.refresh_now()
    await metrics.refresh_now()  # still in flight: no second thread, no second timeout
    assert (
        metrics.registry.get_sample_value(
            "lavalink_collector_errors_total", {"collector": "hanging", "reason": "timeout"}
        )
        == 1
    )
    assert metrics.registry.get_sample_value("hanging_value") is None
    hanging.release.set()
    await asyncio.wait_for(_until_served(metrics), timeout=5)
    assert metrics.collector_status()["hanging"].ok


async def _until_served(metrics: NodeMetrics) -> None:
    while metrics.registry.get_sample_value("hanging_value") != 1:
        await metrics.refresh_now()


def test_a_synchronous_collector_past_the_timeout_is_dropped_and_counted() -> None:
    clock = [0.0]

    class Slow:
        def collect(self) -> Iterable[Metric]:
            clock[0] += 0.5  # the fake timer sees the collect take half a second
            return [GaugeMetricFamily("slow_value", "Too late.", value=1)]

    book = CollectorBook()
    registry = CollectorRegistry()
    registry.register(GuardedCollector("slow", Slow(), book, timeout_s=0.1, labels={}, timer=lambda: clock[0]))
    assert registry.get_sample_value("slow_value") is None
    assert dict(book.errors.items()) == {("slow", "timeout"): 1}


async def test_a_refresh_that_raises_is_counted_and_goes_stale() -> None:
    class Broken(SnapshotCollector[int]):
        name = "broken"

        def take_snapshot(self) -> int:
            raise OSError("no /proc")

        def families(self, snapshot: int | None) -> Iterable[Metric]:
            return [GaugeMetricFamily("broken_value", "Never served.", value=snapshot or 0)]

    metrics = NodeMetrics(MetricsConfig(), extra_collectors={"broken": Broken()})
    await metrics.refresh_now()
    r = metrics.registry
    assert r.get_sample_value("lavalink_collector_errors_total", {"collector": "broken", "reason": "exception"}) == 1
    assert r.get_sample_value("broken_value") is None
    # get_sample_value scrapes the whole registry: three scrapes so far, each skipped `broken` as stale.
    assert r.get_sample_value("lavalink_collector_errors_total", {"collector": "broken", "reason": "stale"}) == 3


def test_constant_labels_are_added_to_every_sample() -> None:
    metrics = NodeMetrics(
        MetricsConfig(labels={"environment": "prod", "datacenter": "fra1", "version": "0.1.0"})
    )
    samples = [s for family in metrics.registry.collect() for s in family.samples]
    assert samples
    assert all(s.labels["datacenter"] == "fra1" and s.labels["version"] == "0.1.0" for s in samples)


def test_disabled_collectors_are_not_registered() -> None:
    metrics = NodeMetrics(MetricsConfig(collectors={"http": CollectorConfig(enabled=False)}))
    assert "http" not in metrics.collector_names
    assert not any(f.name.startswith("lavalink_http_") for f in metrics.registry.collect())


def test_settings_for_an_unknown_collector_are_reported(caplog: pytest.LogCaptureFixture) -> None:
    NodeMetrics(MetricsConfig(collectors={"sytem": CollectorConfig(enabled=False)}))
    assert "metrics.collectors.sytem: no collector has this name" in caplog.text


def test_a_collector_failing_every_scrape_is_counted_each_time_but_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    book = CollectorBook()
    registry = CollectorRegistry()
    registry.register(GuardedCollector("raising", Raising(), book, timeout_s=1.0, labels={}))
    caplog.set_level(logging.WARNING, logger="lavalink_py.metrics.guard")
    for _ in range(3):
        list(registry.collect())
    assert dict(book.errors.items()) == {("raising", "exception"): 3}
    assert [r.getMessage() for r in caplog.records] == ["collector raising raised; skipped for this scrape"]
