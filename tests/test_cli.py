"""The command line on a real process: start-up on a config file, exit code 2 on a bad one, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parent.parent


LISTENING = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
METRICS_LISTENING = re.compile(rb"metrics served on 127\.0\.0\.1:(\d+)")


async def start(config: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lavalink_py",
        "--config",
        str(config),
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize(
    ("yaml", "named"),
    [
        ("server:\n  port: abc\n", "server.port"),
        ("lavalink:\n  server:\n    opusEncodingQuality: 11\n", "lavalink.server.opusEncodingQuality"),
        ("lavalink:\n  server:\n    resamplingQuality: SUPERB\n", "lavalink.server.resamplingQuality"),
        ("server: [1, 2\n", "application.yml"),
    ],
)
async def test_bad_config_exits_2_naming_the_key(tmp_path: Path, yaml: str, named: str) -> None:
    config = tmp_path / "application.yml"
    config.write_text(yaml)
    process = await start(config)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert named in stderr.decode()


@pytest.mark.parametrize(("key", "where"), [("path", "blocker/logs/"), ("name", "blocker/app.log")])
async def test_log_file_that_cannot_be_written_exits_2_naming_the_key(tmp_path: Path, key: str, where: str) -> None:
    # A regular file where a directory must be: refused even for root, whom permissions would not stop.
    (tmp_path / "blocker").write_text("not a directory")
    config = tmp_path / "application.yml"
    config.write_text(f"logging:\n  file:\n    {key}: {tmp_path / where}\n")
    process = await start(config)
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    text = stderr.decode()
    assert f"logging.file.{key}: cannot write the log file" in text
    assert "Traceback" not in text


async def test_missing_config_exits_2(tmp_path: Path) -> None:
    process = await start(tmp_path / "absent.yml")
    _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert "absent.yml" in stderr.decode()


async def logged_port(process: asyncio.subprocess.Process, seen: bytearray, pattern: re.Pattern[bytes]) -> int:
    """Reads the node's stdout (kept in `seen`) up to the line `pattern` matches; returns its port group."""
    assert process.stdout is not None
    async with asyncio.timeout(60):
        while line := await process.stdout.readline():
            seen += line
            if match := pattern.search(line):
                return int(match[1])
    raise AssertionError(f"the node exited before logging {pattern.pattern!r}:\n{seen.decode(errors='replace')}")


async def listening_port(process: asyncio.subprocess.Process, seen: bytearray) -> int:
    """The port the node bound (server.port 0: the OS's choice), from its "listening on" line."""
    return await logged_port(process, seen, LISTENING)


async def test_serves_then_drains_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    config = tmp_path / "application.yml"
    # Port 0: the OS picks a free port, so parallel runs never race for one; the node logs the port it bound.
    config.write_text(
        "server:\n  port: 0\n  address: 127.0.0.1\n"
        "lavalink:\n  server:\n    password: secret\n    unknownKeyFromJava: 1\n"
    )
    process = await start(config, "--drain-seconds", "1.5")
    early = bytearray()
    try:
        port = await listening_port(process, early)
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            ws = await http.ws_connect(f"ws://127.0.0.1:{port}/v4/websocket", headers={
                "Authorization": "secret", "User-Id": "1", "Client-Name": "tests/1"
            })
            assert (await ws.receive_json())["op"] == "ready"
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(10):
                while True:
                    async with http.get(f"{base}/v4/ready") as response:
                        if response.status == 503:
                            assert (await response.json())["status"] == "draining"
                            break
            async with asyncio.timeout(10):
                while not ws.closed:
                    await ws.receive()
            assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
        assert await asyncio.wait_for(process.wait(), 15) == 0
        stdout, stderr = await process.communicate()
        assert "lavalink.server.unknownKeyFromJava: unknown key" in (early + stdout + stderr).decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _wait_ready(http: aiohttp.ClientSession, base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{base}/v4/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("the node did not become ready")
