"""Custom collectors by dotted class path (the `lavalink_py.collectors` entry point group is the plugin loader's:
tests/plugins/test_custom_collectors.py)."""

from __future__ import annotations

import pytest

from lavalink_py.metrics.config import CollectorConfig, MetricsConfig, MetricsConfigError
from lavalink_py.metrics.loading import CollectorLoadError, load_dotted
from lavalink_py.metrics.registry import NodeMetrics


async def test_dotted_path_collector_is_served_after_its_refresh() -> None:
    config = MetricsConfig(custom=["tests.metrics.plugin_collectors:QueueCollector"])
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
        NodeMetrics(MetricsConfig(custom=[path]))
    assert str(error.value).startswith("metrics.custom: ")


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
        NodeMetrics(MetricsConfig(custom=["tests.metrics.plugin_collectors:ClashingCollector"]))
