"""A real node on 127.0.0.1 for tests, and a small raw WebSocket client for Lavalink's protocol."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import orjson
from aiohttp import web

from lavalink_py.api.keys import NODE
from lavalink_py.app import VERSION, build_app
from lavalink_py.config import settings_from_dict
from lavalink_py.sessions.node import Node, TrackLoader

PASSWORD = "youshallnotpass"
USER_ID = "170939974227591168"


@dataclass
class RunningNode:
    url: str
    password: str
    version: str
    app: web.Application
    node: Node

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": self.password}

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/v4/websocket"


class NodeFactory(Protocol):
    def __call__(
        self,
        config: dict[str, Any] | None = None,
        *,
        loader: TrackLoader | None = None,
        stats_interval_s: float = 60.0,
        ws_ping_interval_s: float | None = None,
    ) -> Awaitable[RunningNode]: ...


def test_config(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """application.yml as the tests run it: local files on, metrics on, plus `extra` merged in."""
    base: dict[str, Any] = {
        "lavalink": {"server": {"password": PASSWORD, "sources": {"local": True}}},
        "metrics": {"prometheus": {"enabled": True, "endpoint": "/metrics"}},
        # In-process test nodes share the working directory: a kept session would leak into the next test.
        "persistence": {"enabled": False},
    }
    return _merge(base, extra or {})


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


VOICE_WORKERS_VARIABLE = "LAVALINK_SERVER_VOICE_WORKERS"


def voice_workers_override() -> dict[str, str]:
    """`LAVALINK_SERVER_VOICE_WORKERS=2 pytest ...` runs every test node with voice worker processes, as it does a
    node process (the environment overrides application.yml): the whole voice test set, with workers on."""
    value = os.environ.get(VOICE_WORKERS_VARIABLE)
    return {} if value is None else {VOICE_WORKERS_VARIABLE: value}


@contextlib.asynccontextmanager
async def running_nodes() -> AsyncIterator[NodeFactory]:
    runners: list[web.AppRunner] = []

    async def start(
        config: dict[str, Any] | None = None,
        *,
        loader: TrackLoader | None = None,
        stats_interval_s: float = 60.0,
        ws_ping_interval_s: float | None = None,
    ) -> RunningNode:
        settings = settings_from_dict(test_config(config), voice_workers_override()).settings
        app = build_app(
            settings, loader=loader, stats_interval_s=stats_interval_s, ws_ping_interval_s=ws_ping_interval_s
        )
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return RunningNode(f"http://127.0.0.1:{port}", PASSWORD, VERSION, app, app[NODE])

    try:
        yield start
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _loads(text: str) -> Any:
    """orjson for deep documents (stdlib json recurses), stdlib json for lone-surrogate escapes (orjson refuses)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


@dataclass
class LavalinkSocket:
    """The client side of `/v4/websocket`, collecting every message it receives."""

    ws: aiohttp.ClientWebSocketResponse
    messages: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    seen: list[dict[str, Any]] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                data = _loads(message.data)
                self.seen.append(data)
                self.messages.put_nowait(data)

    async def next(self, timeout: float = 30.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def next_matching(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                message = await self.messages.get()
                if predicate(message):
                    return message

        return await asyncio.wait_for(wait(), timeout)

    async def event(self, kind: str, timeout: float = 30.0) -> dict[str, Any]:
        return await self.next_matching(lambda m: m["op"] == "event" and m["type"] == kind, timeout)

    async def close(self) -> None:
        await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader


async def connect(
    http: aiohttp.ClientSession, node: RunningNode, session_id: str | None = None
) -> tuple[LavalinkSocket, dict[str, Any], aiohttp.ClientWebSocketResponse]:
    headers = {**node.auth, "User-Id": USER_ID, "Client-Name": "tests/1.0"}
    if session_id is not None:
        headers["Session-Id"] = session_id
    ws = await http.ws_connect(node.ws_url, headers=headers)
    socket = LavalinkSocket(ws)
    socket.start()
    ready = await socket.next()
    assert ready["op"] == "ready"
    return socket, ready, ws


async def raw_session(
    node: RunningNode, client_name: str = "raw/1.0"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A session opened by hand over a plain TCP socket, read up to the end of the 101's head."""
    host, port = node.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /v4/websocket HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: {node.password}\r\n"
            f"User-Id: {USER_ID}\r\nClient-Name: {client_name}\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


async def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for state the test cannot subscribe to (e.g. a socket's close reaching the server)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


class TcpProxy:
    """A loopback TCP relay whose connections a test can cut, to drop a client's socket the way a network does."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            self._writers.discard(writer)

    def drop_all(self) -> None:
        """Cut every relayed connection at once, with no close frame on either side."""
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
