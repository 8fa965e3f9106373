"""`metrics.custom` collectors load with the plugins and fail as a plugin does, on a real process: one that cannot
be imported stops start-up with exit 2 naming it, unless `metrics.collectors.<name>.enabled: false`; a working one
is served on /metrics."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.plugins.test_startup import start, stop, write_config
from tests.test_cli import _wait_ready, listening_port

MISSING = "lavalink_py_no_such_package.disk:DiskCollector"


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
    process = await start(config, tmp_path, [])
    seen = bytearray()
    try:
        base = f"http://127.0.0.1:{await listening_port(process, seen)}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            # A custom collector runs off the loop: its family is described at once, its sample after a refresh.
            async with http.get(f"{base}/metrics", headers={"Authorization": "secret"}) as response:
                text = await response.text()
    finally:
        output = await stop(process, bytes(seen))
    assert process.returncode == 0, output
    assert "# TYPE plugin_queue_length gauge" in text
    assert "disabled by metrics.collectors.diskcollector.enabled; not imported" in output
