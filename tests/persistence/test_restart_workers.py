"""The restart tests of test_restart.py with `voiceWorkers: 2` (the node's environment sets it, as an operator's
would): the restored players reconnect through the worker factory and the listeners hear each track go on where it
was. And the node's end with live worker players, however it comes: the workers exit with it, none is left behind,
and the log has no traceback."""

from __future__ import annotations

import asyncio
import os
import signal

import aiohttp
import psutil
import pytest

from tests.node import VOICE_WORKERS_VARIABLE
from tests.persistence.test_restart import (  # noqa: F401 - fixtures and tests collected again here, with workers
    GUILDS,
    LISTENER,
    NodeDir,
    node_dir,
    start_players,
    stop,
    test_an_expired_voice_token_reports_websocket_closed_then_a_new_voice_update_resumes,
    test_players_go_on_after_kill_9_from_the_last_checkpoint,
    test_players_go_on_where_they_were_after_sigterm_and_restart,
    trust_test_ca,
    voice_servers,
)

EXIT_TIMEOUT_S = 60.0


@pytest.fixture(autouse=True)
def voice_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VOICE_WORKERS_VARIABLE, "2")


def voice_workers_of(pid: int) -> list[psutil.Process]:
    """The node's worker processes (multiprocessing's spawn children; its resource tracker is one too)."""
    return [child for child in psutil.Process(pid).children(recursive=True)
            if "multiprocessing" in " ".join(child.cmdline())]


async def all_gone(processes: list[psutil.Process]) -> list[psutil.Process]:
    _, alive = await asyncio.to_thread(psutil.wait_procs, processes, EXIT_TIMEOUT_S)
    return alive


@pytest.mark.parametrize(
    ("sig", "group"),
    [(signal.SIGTERM, False), (signal.SIGTERM, True), (signal.SIGINT, True), (signal.SIGKILL, False)],
    ids=["sigterm", "sigterm-group", "ctrl-c-group", "kill-9"],
)
async def test_the_node_s_end_takes_its_workers_with_it(
    node_dir: NodeDir, sig: signal.Signals, group: bool  # noqa: F811 - the fixture imported above
) -> None:
    process = await node_dir.start(own_group=group)
    try:
        async with voice_servers() as servers, aiohttp.ClientSession() as http:
            started = await start_players(http, node_dir, servers)
            children = voice_workers_of(process.pid)
            assert len([c for c in children if "spawn_main" in " ".join(c.cmdline())]) == 2
            if group:
                os.killpg(process.pid, sig)
            else:
                process.send_signal(sig)
            code = await asyncio.wait_for(process.wait(), EXIT_TIMEOUT_S)
            assert code == (-signal.SIGKILL if sig == signal.SIGKILL else 0)
            assert await all_gone(children) == []
            await started.socket.close()
    finally:
        await stop(process)
    log = node_dir.log()
    assert "Traceback" not in log
    assert "re-hosting" not in log  # no worker was taken for dead while the node stopped
    assert servers[GUILDS[0]].listeners[LISTENER].dave_failures == 0
