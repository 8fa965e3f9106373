"""Custom collectors by dotted class path and by the `lavalink_py.collectors` entry point group."""

from __future__ import annotations

from pathlib import Path

import pytest

from lavalink_py.metrics.config import CollectorConfig, MetricsConfig, MetricsConfigError
from lavalink_py.metrics.loading import CollectorLoadError, load_dotted
from lavalink_py.metrics.registry import NodeMetrics


async def test_dotted_path_collector_is_served_after_its_refresh() -> None:
    config = MetricsConfig(custom=["tests.metrics.plugin_collectors:QueueCollector"], entry_points=False)
    metrics = NodeMetrics(config)
    assert "queue" in metrics.collector_names
    await metrics.refresh_now()
    assert metrics.registry.get_sample_value("plugin_queue_length") == 4


def test_dotted_path_with_dots_only_is_accepted() -> None:
    assert load_dotted("tests.metrics.plugin_collectors.QueueCollector").name == "queue"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("tests.metrics.no_such_module:X", "cannot import"),
        ("tests.metrics.plugin_collectors:Missing", "has no attribute"),
        ("tests.metrics.plugin_collectors:NotACollector", "no collect\\(\\) method"),
        ("nodots", "expected"),
    ],
)
def test_bad_dotted_paths_fail_start_up_naming_the_key(path: str, message: str) -> None:
    with pytest.raises(CollectorLoadError, match=message) as error:
        NodeMetrics(MetricsConfig(custom=[path], entry_points=False))
    assert str(error.value).startswith("metrics.custom: ")


def _install_fake_plugin(root: Path) -> None:
    (root / "fake_metrics_plugin.py").write_text(
        "from prometheus_client.metrics_core import GaugeMetricFamily\n"
        "class Shards:\n"
        "    def collect(self):\n"
        "        return [GaugeMetricFamily('plugin_shards', 'Shards seen by the plugin.', value=2)]\n"
        "def broken():\n"
        "    raise RuntimeError('plugin bug')\n"
        "class Clash:\n"
        "    def collect(self):\n"
        "        return [GaugeMetricFamily('lavalink_cpu_cores', 'Claims a built-in name.', value=1)]\n"
        "    describe = collect\n"
    )
    dist = root / "fake_metrics_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-metrics-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[lavalink_py.collectors]\n"
        "shards = fake_metrics_plugin:Shards\n"
        "broken = fake_metrics_plugin:broken\n"
        "clash = fake_metrics_plugin:Clash\n"
    )


async def test_entry_point_collectors_load_and_a_broken_one_is_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install_fake_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    metrics = NodeMetrics(MetricsConfig())
    assert "shards" in metrics.collector_names
    await metrics.refresh_now()
    r = metrics.registry
    assert r.get_sample_value("plugin_shards") == 2
    assert r.get_sample_value("lavalink_collector_errors_total", {"collector": "broken", "reason": "load"}) == 1
    # A plugin exporting a built-in name is refused at registration, not at scrape time.
    assert "clash" not in metrics.collector_names
    assert r.get_sample_value("lavalink_collector_errors_total", {"collector": "clash", "reason": "load"}) == 1


def test_entry_point_collectors_can_be_disabled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install_fake_plugin(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    metrics = NodeMetrics(MetricsConfig(collectors={"shards": CollectorConfig(enabled=False)}))
    assert "shards" not in metrics.collector_names


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"collection_timeout_s": 0}, "metrics.collection_timeout"),
        ({"collectors": {"system": CollectorConfig(collection_interval_s=0)}}, "metrics.collectors.system"),
        ({"labels": {"__reserved": "x"}}, "metrics.labels.__reserved"),
        ({"labels": {"bad-label": "x"}}, "metrics.labels.bad-label"),
    ],
)
def test_invalid_settings_name_their_key(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(MetricsConfigError, match=key):
        MetricsConfig(**kwargs)  # type: ignore[arg-type]  # kwargs built per case


def test_a_configured_collector_clashing_with_a_built_in_name_fails_start_up() -> None:
    with pytest.raises(CollectorLoadError, match="clashes"):
        NodeMetrics(MetricsConfig(custom=["tests.metrics.plugin_collectors:ClashingCollector"], entry_points=False))
