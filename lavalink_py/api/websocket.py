"""`/v4/websocket`: the server-to-client channel of a session.

Handshake (Lavalink's HandshakeInterceptorImpl): a missing or wrong `Authorization` -> 401 (no 403 here), a
missing, empty, zero or non-numeric `User-Id` -> 400; `Session-Resumed: true|false` says whether `Session-Id` named a
paused session. Then `ready` first, the messages queued while the session was paused, one playerUpdate per player
on a resume, and `stats` at once on a new session. Lavalink v4 takes no messages from clients: they are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from aiohttp import WSCloseCode, web

from lavalink_py.api.auth import password_matches
from lavalink_py.api.errors import ApiError
from lavalink_py.api.keys import COUNTERS, NODE, OPTIONS
from lavalink_py.api.middleware import auth_failed, public
from lavalink_py.protocol.messages import ready_message, stats_message
from lavalink_py.protocol.validation import parse_snowflake

if TYPE_CHECKING:
    from lavalink_py.api.session_stream import SessionStream

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

_UPGRADE_HEADERS = ("Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Protocol")

# The open sessions' sockets, for the shutdown's GOING_AWAY. A plain set (each socket leaves it as its session
# ends): a weak set's weakref per session cost ~0.1 KiB of each idle session (issue 11).
SOCKETS = web.AppKey("websockets", set["SessionStream"])


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
    ws = _Handshake()
    # Lavalink's ResponseHeaderFilter (ResponseHeaderFilter.kt:16) adds this to every response, the handshake's
    # too; the api_version_header middleware comes too late for a response prepared here.
    ws.headers["Lavalink-Api-Version"] = "4"
    ws.headers["Session-Resumed"] = "true" if node.sessions.can_resume(resume_id) else "false"
    if not all(request.headers.get(name, "").isascii() for name in _UPGRADE_HEADERS):
        # RFC 6455 §4.2.1 makes these ASCII tokens. aiohttp's handshake raises on other bytes (a base64 error, or a
        # 400 text quoting the header that it cannot encode) instead of refusing: refuse here as it would.
        raise ApiError(400, "Bad WebSocket upgrade request: a handshake header is not ASCII")
    # websockets loads with the first session (~15 ms of import), not at start.
    from lavalink_py.api.session_stream import SessionStream

    await ws.prepare(request)
    # No await from the 101 to the hand-over: nothing the client sends after it can reach aiohttp's reader.
    transport = request.transport
    assert isinstance(transport, asyncio.Transport)
    options = request.app[OPTIONS]
    stream = SessionStream(transport, request.app[COUNTERS].websocket, options.ws_ping_interval_s, request.app[SOCKETS])
    _take_over(request, stream)
    session, resumed, queued = node.sessions.open(user_id, client_name, stream.put, resume_id)
    stream.bind(session, node.sessions)
    session.send(ready_message(session.id, resumed))
    for payload in queued:
        stream.put(payload)
    if resumed:
        now = int(time.time() * 1000)
        for player in session.players.values():
            player.send_update(now)
    else:
        session.send(stats_message(node.stats(), node.frame_stats(session)))
    return ws


class _Handshake(web.WebSocketResponse):
    """The 101 answer, and nothing after it: the connection is the session stream's from then on."""

    def __init__(self) -> None:
        # No permessage-deflate, as Lavalink (Undertow's WebSocket has no extension unless one is configured); no
        # autoping or heartbeat: the session stream answers pings and sends its own.
        super().__init__(autoping=False, compress=False)

    async def write_eof(self) -> None:  # type: ignore[override]  # as aiohttp's own override
        # aiohttp's would send a close frame; the stream owns the connection now.
        return


def _take_over(request: web.Request, stream: SessionStream) -> None:
    """Make the request's connection the stream's; aiohttp lets go of it as if it were lost, without closing it.

    aiohttp's RequestHandler.connection_lost drops its parser, timers and its place in the server's connections,
    and its request task ends once the handler returned; its force_close would close `handler.transport`, so that
    is unset first. aiohttp's graceful shutdown no longer sees the socket: `close_all` closes it (GOING_AWAY).
    """
    assert request.transport is not None
    request.transport.set_protocol(stream)
    handler = request.protocol
    handler.transport = None
    handler.connection_lost(None)


async def close_all(app: web.Application) -> None:
    """on_shutdown: every client socket closes with GOING_AWAY, as Lavalink's do."""
    streams: set[SessionStream] = app[SOCKETS]
    await asyncio.gather(*(stream.close(WSCloseCode.GOING_AWAY, "Server shutdown") for stream in list(streams)))
