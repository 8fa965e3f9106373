"""A node on a real store file: kept sessions come back (expired ones do not), and a store it cannot read or
write never stops it: it starts, says what happened once, and counts it."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from lavalink_py.sessions.persistence.kept import KeptSession
from lavalink_py.sessions.persistence.store import SessionStore
from tests.node import USER_ID, NodeFactory, RunningNode, connect


def persistence(path: Path) -> dict[str, Any]:
    return {"persistence": {"enabled": True, "path": str(path)}, "lavalink": {"server": {"playerUpdateInterval": 1}}}


async def metrics_text(http: aiohttp.ClientSession, node: RunningNode) -> str:
    async with http.get(f"{node.url}/metrics", headers=node.auth) as response:
        return await response.text()


def set_aside(directory: Path) -> list[Path]:
    return list(directory.glob("kept.sqlite3.unreadable-*"))


def kept(session_id: str, detached_ago_s: float, timeout_s: int = 60) -> KeptSession:
    return KeptSession(session_id, int(USER_ID), "tests/1.0", timeout_s, int((time.time() - detached_ago_s) * 1000))


async def test_kept_sessions_resume_and_expired_ones_are_dropped(
    make_node: NodeFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    path = tmp_path / "kept.sqlite3"
    store = SessionStore(path)
    event = '{"op":"event","type":"TrackEndEvent","guildId":"1"}'
    store.write([
        KeptSession("aliveaaaaaaaaaaa", int(USER_ID), "tests/1.0", 60, int(time.time() * 1000) - 5000, (event,)),
        kept("expiredaaaaaaaaa", detached_ago_s=120),
    ])
    store.close()
    node = await make_node(persistence(path))
    socket, ready, ws = await connect(http, node, "aliveaaaaaaaaaaa")
    assert (ready["resumed"], ready["sessionId"]) == (True, "aliveaaaaaaaaaaa")
    assert ws._response.headers["Session-Resumed"] == "true"
    replayed = await socket.next()
    assert (replayed["op"], replayed["type"]) == ("event", "TrackEndEvent")  # the queue kept across the restart
    await socket.close()
    expired, _, _ = await connect(http, node, "expiredaaaaaaaaa")
    assert expired.seen[0]["resumed"] is False
    await expired.close()
    text = await metrics_text(http, node)
    assert 'lavalink_persistence_restored_total{kind="session"} 1.0' in text
    assert 'lavalink_persistence_restore_failures_total{cause="expired"} 1.0' in text


async def test_a_corrupted_store_is_set_aside_and_the_node_starts_empty(
    make_node: NodeFactory, http: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "kept.sqlite3"
    path.write_bytes(b"not a database" * 300)
    with caplog.at_level(logging.WARNING, "lavalink_py"):
        node = await make_node(persistence(path))
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        assert response.status == 200
    said = [r.getMessage() for r in caplog.records if "persistence:" in r.getMessage()]
    assert len(said) == 1 and "(corrupted: " in said[0] and "starting with no kept sessions" in said[0]
    assert set_aside(tmp_path)
    assert 'lavalink_persistence_restore_failures_total{cause="store_corrupted"} 1.0' in await metrics_text(http, node)


async def test_an_unwritable_path_is_reported_once_and_the_node_serves_on(
    make_node: NodeFactory, http: aiohttp.ClientSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "blocker").write_text("a file where the directory should be")
    with caplog.at_level(logging.WARNING, "lavalink_py"):
        node = await make_node(persistence(tmp_path / "blocker" / "kept.sqlite3"))
        socket, ready, _ = await connect(http, node)
        url = f"{node.url}/v4/sessions/{ready['sessionId']}"
        async with http.patch(url, json={"resuming": True}, headers=node.auth) as response:
            assert response.status == 200

        async def failures() -> float:
            lines = (await metrics_text(http, node)).splitlines()
            return next(float(x.split()[-1]) for x in lines if x.startswith("lavalink_persistence_checkpoint_fail"))

        for _ in range(200):
            if await failures() >= 2:
                break
            await asyncio.sleep(0.05)
        assert await failures() >= 2
    warnings = [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]
    assert len(warnings) == 1 and "blocker" in warnings[0]
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        assert response.status == 200
    await socket.close()
