"""Four client libraries bots use — lavalink.py, wavelink, mafic (PyPI) and Shoukaku (npm) — each drive the node
through one bot's life (tests/clients/scenario.py) into the fake Discord voice server, with their own calls."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.clients.lavalink_py_driver import lavalink_py_driver
from tests.clients.mafic_driver import mafic_driver
from tests.clients.scenario import play_through, sweep_server, voice_server
from tests.clients.shoukaku_driver import shoukaku_driver
from tests.clients.wavelink_driver import wavelink_driver
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import NodeFactory, RunningNode

CLIENT_LOGGERS = {"lavalink", "wavelink", "mafic", "discord"}
OpenDriver = Callable[[RunningNode, FakeVoiceServer], contextlib.AbstractAsyncContextManager[Any]]
DRIVERS: dict[str, OpenDriver] = {
    "lavalink.py": lavalink_py_driver,
    "wavelink": wavelink_driver,
    "mafic": mafic_driver,
    "shoukaku": shoukaku_driver,
}


@pytest.fixture
async def track_url(tmp_path: Path) -> AsyncIterator[str]:
    async with sweep_server(tmp_path) as url:
        yield url


@pytest.mark.parametrize("library", list(DRIVERS))
async def test_client_plays_through(
    make_node: NodeFactory, track_url: str, library: str, caplog: pytest.LogCaptureFixture
) -> None:
    # stats and playerUpdate every second, so each library parses several of both while the track plays.
    node = await make_node({"lavalink": {"server": {"playerUpdateInterval": 1}}}, stats_interval_s=1.0)
    caplog.set_level(logging.WARNING)
    async with voice_server() as server, DRIVERS[library](node, server) as driver:
        await play_through(driver, server, track_url)
        uptime = await driver.stats_uptime_ms()
        assert uptime is not None and uptime > 0
    # The Python libraries log what they fail to parse or handle; none may have.
    client_errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.split(".")[0] in CLIENT_LOGGERS]
    assert client_errors == []
