"""`/v4/websocket`: the server-to-client channel of a session.

Handshake (Lavalink's HandshakeInterceptorImpl): a missing or wrong `Authorization` -> 401 (no 403 here), a
missing, empty, zero or non-numeric `User-Id` -> 400; `Session-Resumed: true|false` says whether `Session-Id` named a
paused session. Then `ready` first, the messages queued while the session was paused, one playerUpdate per player
on a resume, and `stats` at once on a new session. Lavalink v4 takes no messages from clients: they are ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections import deque

from aiohttp import WebSocketError, WSCloseCode, WSMsgType, web

from lavalink_py.api.auth import password_matches
from lavalink_py.api.errors import ApiError
from lavalink_py.api.keys import COUNTERS, NODE, OPTIONS
from lavalink_py.api.middleware import auth_failed, public
from lavalink_py.metrics.counters import WebSocketStats
from lavalink_py.protocol.messages import ready_message, stats_message
from lavalink_py.protocol.validation import parse_snowflake
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.session import Session

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_UPGRADE_HEADERS = ("Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol")

# The open sessions' sockets, for the shutdown's GOING_AWAY. A plain set (each socket leaves it as its session
# ends): a weak set's weakref per session cost ~0.1 KiB of each idle session (issue 11).
SOCKETS = web.AppKey("websockets", set["_SessionSocket"])


def _user_id(raw: str | None) -> int | None:
    return None if raw is None else parse_snowflake(raw.strip(), 2**63 - 1)


@routes.get("/v4/websocket")
@public
async def websocket(request: web.Request) -> web.StreamResponse:
    supplied = request.headers.get("Authorization")
    if not password_matches(supplied, request.app[OPTIONS].password):
        # HandshakeInterceptorImpl.beforeHandshake: 401 for a missing or a wrong password alike.
        auth_failed(request, "missing" if supplied is None else "wrong")
        return web.Response(status=401)
    user_id = _user_id(request.headers.get("User-Id"))
    if user_id is None:
        log.error("Missing or invalid User-Id header from %s", request.remote)
        return web.Response(status=400)
    client_name = request.headers.get("Client-Name")
    if client_name is None:
        log.warning("Library developers: please specify a 'Client-Name' header (%s)", request.remote)

    node = request.app[NODE]
    resume_id = request.headers.get("Session-Id")
    ws = _SessionSocket()
    # Lavalink's ResponseHeaderFilter (ResponseHeaderFilter.kt:16) adds this to every response, the handshake's
    # too; the api_version_header middleware comes too late for a response prepared here.
    ws.headers["Lavalink-Api-Version"] = "4"
    ws.headers["Session-Resumed"] = "true" if node.sessions.can_resume(resume_id) else "false"
    if not all(request.headers.get(name, "").isascii() for name in _UPGRADE_HEADERS):
        # RFC 6455 §4.2.1 makes these ASCII tokens. aiohttp's handshake raises on other bytes (a base64 error, or a
        # 400 text quoting the header that it cannot encode) instead of refusing: refuse here as it would.
        raise ApiError(400, "Bad WebSocket upgrade request: a handshake header is not ASCII")
    await ws.prepare(request)

    outbox = _Outbox(ws, request.app[COUNTERS].websocket, request.app[OPTIONS].ws_ping_interval_s)
    session, resumed, queued = node.sessions.open(user_id, client_name, outbox.put, resume_id)
    outbox.session, outbox.sessions = session, node.sessions
    ws.open(outbox, request.app[SOCKETS])
    session.send(ready_message(session.id, resumed))
    for payload in queued:
        outbox.put(payload)
    if resumed:
        now = int(time.time() * 1000)
        for player in session.players.values():
            player.send_update(now)
    else:
        session.send(stats_message(node.stats(), node.frame_stats(session)))

    return ws  # the session lives on in ws.write_eof, which aiohttp awaits next


class _SessionSocket(web.WebSocketResponse):
    """A session's socket, read until it closes in `write_eof`, which aiohttp awaits once the handler returned.

    So the handshake's state is released when the handshake is done, not when the session ends: the handler's
    frame and the middleware chain's (five suspended coroutines holding the request; issue 11: ~2 KiB of each
    idle session). The read loop is write_eof's own body, its state the outbox's: an idle session is one suspended
    frame of ours. What aiohttp itself keeps for the connection the bare aiohttp floor keeps too.
    """

    def __init__(self) -> None:
        # autoping off: the node answers pings itself and reads the pongs to its own pings (their round trip); no
        # heartbeat: aiohttp's would ping every session on a timer, which Lavalink does not.
        super().__init__(autoping=False)
        self._outbox: _Outbox | None = None
        self._registry: set[_SessionSocket] | None = None

    def open(self, outbox: _Outbox, registry: set[_SessionSocket]) -> None:
        """The session is open: read it in write_eof, and be in `registry` until it ends."""
        self._outbox, self._registry = outbox, registry
        registry.add(self)

    async def write_eof(self) -> None:  # type: ignore[override]  # as aiohttp's own override
        outbox, self._outbox = self._outbox, None
        if outbox is None:
            await super().write_eof()
            return
        stats = outbox.stats
        try:
            async for message in self:
                if message.type == WSMsgType.PING:
                    await self.pong(message.data)
                elif message.type == WSMsgType.PONG:
                    _observe_pong(message.data, stats)
                elif message.type == WSMsgType.ERROR:
                    # A frame that breaks RFC 6455 arrives as WebSocketError; anything else is the connection failing.
                    stats.error("protocol" if isinstance(message.data, WebSocketError) else "connection")
                else:
                    stats.message("inbound", "text" if message.type == WSMsgType.TEXT else "binary", len(message.data))
                    log.warning("session=%s Lavalink v4 does not support websocket messages; use the REST API",
                                outbox.session.id)
        finally:
            if self._registry is not None:
                self._registry.discard(self)
            outbox.sessions.closed(outbox.session, outbox.put)
            await outbox.close()
        await super().write_eof()


def _observe_pong(payload: bytes, stats: WebSocketStats) -> None:
    if len(payload) == 8:  # one of our pings: its payload is when it left
        stats.observe_latency(time.monotonic() - struct.unpack(">d", payload)[0])


class _Outbox:
    """A session's outgoing frames, in order, with no task of its own while idle.

    An idle session must cost little (issue 11: 1,000 of them): instead of a writer task waiting on a queue and a
    pinger task sleeping, a writer task exists only while frames are waiting, and the ping (only when
    metrics.websocket_ping_interval asks for one; Lavalink sends none) is a loop timer.
    """

    __slots__ = ("_closed", "_interval_s", "_pending", "_timer", "_writer", "_ws", "session", "sessions", "stats")

    session: Session  # set once the session is open (write_eof reads it)
    sessions: SessionManager

    def __init__(self, ws: web.WebSocketResponse, stats: WebSocketStats, ping_interval_s: float) -> None:
        self._ws = ws
        self.stats = stats
        self._interval_s = ping_interval_s
        # Only while frames wait (an empty deque is ~0.7 KiB: per idle session, more than the Session itself).
        self._pending: deque[tuple[bytes, WSMsgType]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._closed = False
        # No pings by default (metrics.websocket_ping_interval 0), as Lavalink: an idle session then has no timer.
        self._timer: asyncio.TimerHandle | None = None
        if ping_interval_s > 0:
            self._timer = asyncio.get_running_loop().call_later(ping_interval_s, self._ping)

    def put(self, payload: bytes) -> None:
        self._push(payload, WSMsgType.TEXT)

    def _ping(self) -> None:
        if self._ws.closed:
            return
        # The payload is when it left: the pong's round trip is the session's latency.
        self._push(struct.pack(">d", time.monotonic()), WSMsgType.PING)
        self._timer = asyncio.get_running_loop().call_later(self._interval_s, self._ping)

    def _push(self, payload: bytes, kind: WSMsgType) -> None:
        if self._closed:
            return
        if self._pending is None:
            self._pending = deque()
        self._pending.append((payload, kind))
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._pending:
                payload, kind = self._pending.popleft()
                try:
                    await self._ws.send_frame(payload, kind)
                except ConnectionResetError:
                    if kind is WSMsgType.TEXT:
                        self.stats.error("connection")
                        self._closed = True
                        self._pending = None
                        return
                    continue  # a ping to a socket going away, as before: not a send error
                if kind is WSMsgType.TEXT:
                    self.stats.message("outbound", "text", len(payload))
            self._pending = None  # drained: an idle session holds no queue
        finally:
            self._writer = None

    async def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        self._pending = None
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer


async def close_all(app: web.Application) -> None:
    """on_shutdown: every client socket closes with GOING_AWAY, as Lavalink's do."""
    sockets: set[_SessionSocket] = app[SOCKETS]
    for ws in list(sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")
