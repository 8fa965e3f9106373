"""docs/metrics.md lists exactly the metric families /metrics exports, with their types and labels."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.config import MetricsConfig
from lavalink_py.metrics.health import Readiness
from lavalink_py.metrics.probes import InstrumentedThreadPool
from lavalink_py.metrics.registry import NodeMetrics
from tests.metrics.conftest import busy_node, populate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
ROW = re.compile(r"^\| `(?P<name>[a-z_]+)` \| (?P<type>gauge|counter|histogram) \| (?P<labels>[^|]*) \|")

Described = dict[str, tuple[str, frozenset[str]]]


def documented() -> Described:
    text = DOCS.read_text()
    section = text[text.index("\n## Metrics\n") :]
    out: Described = {}
    for line in section.splitlines():
        match = ROW.match(line)
        if match:
            assert match["name"] not in out, f"{match['name']} documented twice"
            out[match["name"]] = (match["type"], frozenset(re.findall(r"`([a-z_]+)`", match["labels"])))
    return out


class Raising:
    def collect(self) -> Iterable[Metric]:
        raise RuntimeError("makes lavalink_collector_errors_total carry a sample")


async def exported() -> Described:
    node = busy_node()
    pool = InstrumentedThreadPool("audio", max_workers=1)
    metrics = NodeMetrics(
        MetricsConfig(labels={"environment": "docs"}, lag_interval_s=0.01),
        players=node,
        sessions=node,
        voice=node,
        audio=node,
        thread_pools=[pool],
        extra_collectors={"raising": Raising()},
        readiness=Readiness(),
    )
    populate(metrics.counters)
    await metrics.start()
    try:
        families = list(metrics.registry.collect())
    finally:
        await metrics.stop()
        pool.shutdown()
    out: Described = {}
    for family in families:
        name = family.name + "_total" if family.type == "counter" else family.name
        assert family.samples, f"{name} has no samples: the test cannot check its labels"
        labels = {label for s in family.samples for label in s.labels} - {"le", "environment"}
        out[name] = (family.type, frozenset(labels))
    return out


async def test_docs_list_exactly_the_exported_families() -> None:
    docs, live = documented(), await exported()
    assert sorted(set(live) - set(docs)) == [], "exported but not documented"
    assert sorted(set(docs) - set(live)) == [], "documented but not exported"
    mismatched = {name: (docs[name], live[name]) for name in docs if docs[name] != live[name]}
    assert mismatched == {}, "type or labels differ (docs, live)"
