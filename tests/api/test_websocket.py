"""`/v4/websocket`: handshake checks, `ready`, `stats`, and resuming a session across a dropped socket."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest

from tests.node import USER_ID, NodeFactory, RunningNode, connect, raw_session, wait_until


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"User-Id": USER_ID}, 401),
        ({"Authorization": "wrong", "User-Id": USER_ID}, 401),
        ({"Authorization": "youshallnotpass"}, 400),
        ({"Authorization": "youshallnotpass", "User-Id": ""}, 400),
        ({"Authorization": "youshallnotpass", "User-Id": "0"}, 400),
        ({"Authorization": "youshallnotpass", "User-Id": "not-a-number"}, 400),
    ],
)
async def test_handshake_refusals(
    node: RunningNode, http: aiohttp.ClientSession, headers: dict[str, str], status: int
) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(node.ws_url, headers=headers)
    assert refused.value.status == status


async def test_ready_comes_first_then_stats(node: RunningNode, http: aiohttp.ClientSession) -> None:
    socket, ready, ws = await connect(http, node)
    assert ready == {"op": "ready", "resumed": False, "sessionId": ready["sessionId"]}
    session_id = ready["sessionId"]
    assert len(session_id) == 16
    assert session_id.isalnum()
    assert session_id == session_id.lower()
    assert ws._response.headers["Session-Resumed"] == "false"
    stats = await socket.next()
    assert stats["op"] == "stats"
    assert "frameStats" in stats and stats["frameStats"] is None
    await socket.close()


async def test_stats_repeat_on_the_interval(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node(stats_interval_s=0.05)
    socket, _, _ = await connect(http, node)
    for _ in range(3):
        assert (await socket.next_matching(lambda m: m["op"] == "stats"))["op"] == "stats"
    await socket.close()


async def test_client_messages_are_ignored(node: RunningNode, http: aiohttp.ClientSession) -> None:
    socket, ready, ws = await connect(http, node)
    await ws.send_str('{"op": "play"}')
    async with http.patch(f"{node.url}/v4/sessions/{ready['sessionId']}", json={}, headers=node.auth) as response:
        assert response.status == 200
    await socket.close()


async def _enable_resuming(http: aiohttp.ClientSession, node: RunningNode, session_id: str, timeout: int) -> None:
    url = f"{node.url}/v4/sessions/{session_id}"
    async with http.patch(url, json={"resuming": True, "timeout": timeout}, headers=node.auth) as response:
        assert await response.json() == {"resuming": True, "timeout": timeout}


async def test_non_resumable_session_ends_with_its_socket(node: RunningNode, http: aiohttp.ClientSession) -> None:
    socket, ready, _ = await connect(http, node)
    session_id = ready["sessionId"]
    async with http.patch(f"{node.url}/v4/sessions/{session_id}/players/1", json={}, headers=node.auth):
        pass
    await socket.close()
    await wait_until(lambda: node.node.sessions.get(session_id) is None)
    assert not list(node.node.sessions.players())
    socket2, ready2, ws2 = await connect(http, node, session_id=session_id)
    assert ready2["resumed"] is False
    assert ready2["sessionId"] != session_id
    assert ws2._response.headers["Session-Resumed"] == "false"
    await socket2.close()


async def test_resume_replays_queued_messages_in_order(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node(stats_interval_s=0.05)
    socket, ready, _ = await connect(http, node)
    session_id = ready["sessionId"]
    await _enable_resuming(http, node, session_id, 30)
    async with http.patch(f"{node.url}/v4/sessions/{session_id}/players/42", json={"volume": 55}, headers=node.auth):
        pass
    await socket.close()
    await wait_until(lambda: node.node.sessions.can_resume(session_id))
    # While paused the session is unknown to REST, as in Lavalink, but its players live on.
    async with http.get(f"{node.url}/v4/sessions/{session_id}/players", headers=node.auth) as response:
        assert response.status == 404
    assert [p.guild_id for p in node.node.sessions.players()] == [42]
    session = node.node.sessions.sessions()[0]
    await wait_until(lambda: len(session._queue) >= 2)

    socket2, ready2, ws2 = await connect(http, node, session_id=session_id)
    assert ready2 == {"op": "ready", "resumed": True, "sessionId": session_id}
    assert ws2._response.headers["Session-Resumed"] == "true"
    replayed = [await socket2.next() for _ in range(2)]
    assert [m["op"] for m in replayed] == ["stats", "stats"]
    assert replayed[0]["uptime"] <= replayed[1]["uptime"]
    async with http.get(f"{node.url}/v4/sessions/{session_id}/players/42", headers=node.auth) as response:
        assert (await response.json())["volume"] == 55
    await socket2.close()


async def test_paused_session_ends_after_its_timeout(node: RunningNode, http: aiohttp.ClientSession) -> None:
    socket, ready, _ = await connect(http, node)
    session_id = ready["sessionId"]
    await _enable_resuming(http, node, session_id, 0)
    await socket.close()
    await wait_until(lambda: not node.node.sessions.sessions())
    socket2, ready2, _ = await connect(http, node, session_id=session_id)
    assert ready2["resumed"] is False
    await socket2.close()


async def test_shutdown_closes_client_sockets_going_away(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node()
    socket, _, ws = await connect(http, node)
    await node.app.shutdown()
    assert socket.reader is not None
    await asyncio.wait_for(socket.reader, 5)
    assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY


async def test_an_open_session_is_no_task_and_not_aiohttps(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # After the handshake the connection is the session stream's: aiohttp lets go of it (no request task of its own,
    # no handler or middleware frame, no parsed request kept per session) and nothing of ours waits on it either.
    from aiohttp import web_protocol

    from lavalink_py.api import middleware, websocket

    def connection_tasks() -> int:
        return sum(f"{web_protocol.__file__}:start" in _awaiting(task.get_coro()) for task in asyncio.all_tasks())

    before = connection_tasks()
    headers = {**node.auth, "User-Id": USER_ID}
    async with http.ws_connect(node.ws_url, headers=headers, autoping=False) as ws:
        assert (await ws.receive_json(timeout=10))["op"] == "ready"
        await wait_until(lambda: connection_tasks() <= before)
        held = {name for task in asyncio.all_tasks() for name in _awaiting(task.get_coro())}
        assert not [name for name in held if name.startswith((websocket.__file__, middleware.__file__))]
        assert len(node.app[websocket.SOCKETS]) == 1
        # The connection is as alive as before: pings answered, and its close ends the session.
        await ws.ping(b"still there")
        while (message := await ws.receive(timeout=10)).type is aiohttp.WSMsgType.TEXT:
            pass  # stats
        assert (message.type, message.data) == (aiohttp.WSMsgType.PONG, b"still there")
    await wait_until(lambda: not node.node.sessions.sessions() and not node.app[websocket.SOCKETS])


async def test_no_compression_is_negotiated(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # Lavalink's Undertow WebSocket has no permessage-deflate: a client offering it gets plain frames.
    async with http.ws_connect(node.ws_url, headers={**node.auth, "User-Id": USER_ID}, compress=15) as ws:
        assert "Sec-WebSocket-Extensions" not in ws._response.headers
        assert ws.compress == 0
        assert (await ws.receive_json(timeout=10))["op"] == "ready"


async def test_debug_logging_of_the_node_does_not_log_every_frame(
    node: RunningNode, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lavalink_py")
    async with http.ws_connect(node.ws_url, headers={**node.auth, "User-Id": USER_ID}) as ws:
        assert (await ws.receive_json(timeout=10))["op"] == "ready"
        await ws.send_str("{}")
        await ws.receive_json(timeout=10)  # stats
    frames = [r for r in caplog.records if r.name.startswith("lavalink_py") and "TEXT" in r.getMessage()]
    assert frames == []


async def test_protocol_errors_close_the_socket_and_its_session(node: RunningNode) -> None:
    # RFC 6455: an unmasked client frame is a protocol error (1002); invalid UTF-8 in a text message is 1007.
    from lavalink_py.api.keys import COUNTERS

    for frame, code in ((b"\x81\x02hi", 1002), (b"\x81\x82\x00\x00\x00\x00\xc3\x28", 1007)):
        reader, writer = await raw_session(node)
        writer.write(frame)
        received = await asyncio.wait_for(reader.read(), 10)  # the node closes the connection after its close frame
        frames = _frames(received)
        assert [opcode for opcode, _ in frames] == [0x1, 0x1, 0x8]  # ready, stats, close
        assert int.from_bytes(frames[-1][1][:2], "big") == code
        writer.close()
    await wait_until(lambda: not node.node.sessions.sessions())
    assert dict(node.app[COUNTERS].websocket.errors.items()).get("protocol") == 2


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each server frame in `data` (unmasked, not fragmented: what the node sends)."""
    frames, pos = [], 0
    while pos < len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            length, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
        elif length == 127:
            length, pos = int.from_bytes(data[pos : pos + 8], "big"), pos + 8
        frames.append((opcode, data[pos : pos + length]))
        pos += length
    return frames


def _awaiting(awaitable: object) -> list[str]:
    """file:function of each coroutine in a task's chain of awaits, outermost first."""
    names = []
    while (code := getattr(awaitable, "cr_code", None)) is not None:
        names.append(f"{code.co_filename}:{code.co_name}")
        awaitable = getattr(awaitable, "cr_await", None)
    return names
