"""Collectors without a plugin (`metrics.custom` paths, the `lavalink_py.collectors` entry-point group) load with
the plugins and fail as a plugin does, on a real process: one that cannot be imported or built stops start-up with
exit 2 naming it, unless `metrics.collectors.<name>.enabled: false`; a working one is served on /metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.plugins.test_startup import start, stop, write_config
from tests.test_cli import _wait_ready, listening_port

MISSING = "lavalink_py_no_such_package.disk:DiskCollector"


async def scrape_once(config: Path, cwd: Path, pythonpath: list[Path]) -> tuple[int | None, str, str]:
    """Start the node, read /metrics once it is ready, stop it: (exit code, the scrape, all it wrote).

    A custom collector runs off the loop: its family is described at once, its sample after a refresh."""
    process = await start(config, cwd, pythonpath)
    seen = bytearray()
    try:
        base = f"http://127.0.0.1:{await listening_port(process, seen)}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            async with http.get(f"{base}/metrics", headers={"Authorization": "secret"}) as response:
                text = await response.text()
    finally:
        output = await stop(process, bytes(seen))
    return process.returncode, text, output


async def test_a_custom_collector_that_fails_to_import_stops_start_up_with_exit_2(tmp_path: Path) -> None:
    config = write_config(tmp_path / "application.yml", body=f"metrics:\n  custom: ['{MISSING}']\n")
    process = await start(config, tmp_path, [])
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    message = stderr.decode()
    assert process.returncode == 2, message
    assert f"collector diskcollector (metrics.custom[0] ({MISSING})) failed to load" in message
    assert "cannot import lavalink_py_no_such_package.disk" in message
    assert "metrics.collectors.diskcollector.enabled: false" in message  # how to start without it
    assert "Traceback" not in message


async def test_a_broken_custom_collector_switched_off_lets_the_node_start_and_a_working_one_is_served(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path / "application.yml", body=(
        "metrics:\n  prometheus:\n    enabled: true\n"
        f"  custom: ['{MISSING}', 'tests.metrics.plugin_collectors:QueueCollector']\n"
        "  collectors:\n    diskcollector:\n      enabled: false\n"))
    returncode, text, output = await scrape_once(config, tmp_path, [])
    assert returncode == 0, output
    assert "# TYPE plugin_queue_length gauge" in text
    assert "disabled by metrics.collectors.diskcollector.enabled; not imported" in output


def installed_collectors(root: Path) -> Path:
    """A package installed on the path with two collector entry points: one works, one raises when built."""
    root.mkdir()
    (root / "fake_metrics_plugin.py").write_text(
        "from prometheus_client.metrics_core import GaugeMetricFamily\n"
        "class Shards:\n"
        "    def collect(self):\n"
        "        return [GaugeMetricFamily('plugin_shards', 'Shards seen by the plugin.', value=2)]\n"
        "def broken():\n"
        "    raise RuntimeError('plugin bug')\n"
    )
    dist = root / "fake_metrics_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-metrics-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[lavalink_py.collectors]\nshards = fake_metrics_plugin:Shards\nbroken = fake_metrics_plugin:broken\n"
    )
    return root


async def test_an_entry_point_collector_that_fails_to_build_stops_start_up_with_exit_2(tmp_path: Path) -> None:
    site = installed_collectors(tmp_path / "site")
    config = write_config(tmp_path / "application.yml")
    process = await start(config, tmp_path, [site])
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    message = stderr.decode()
    assert process.returncode == 2, message
    assert "collector broken (entry point broken (fake_metrics_plugin:broken)) failed to load" in message
    assert "plugin bug" in message
    assert "metrics.collectors.broken.enabled: false" in message
    assert "Traceback" not in message


async def test_entry_point_collectors_are_served_and_a_broken_one_switched_off_is_not_imported(
    tmp_path: Path,
) -> None:
    site = installed_collectors(tmp_path / "site")
    config = write_config(tmp_path / "application.yml", body=(
        "metrics:\n  prometheus:\n    enabled: true\n  collectors:\n    broken:\n      enabled: false\n"))
    returncode, text, output = await scrape_once(config, tmp_path, [site])
    assert returncode == 0, output
    assert "# TYPE plugin_shards gauge" in text
    assert "collector broken (entry point broken (fake_metrics_plugin:broken)) disabled" in output
