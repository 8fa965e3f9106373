"""A session's WebSocket once the handshake is done: the connection's own asyncio protocol, not aiohttp's.

aiohttp answers the handshake (`api/websocket.py`); then the connection is handed to a `SessionStream` and aiohttp
forgets it. What aiohttp keeps for a connection it serves (its request handler with the HTTP parser, the parsed
request with its headers, the WebSocketResponse with its reader, queue and writer, two suspended tasks) was
~14.7 KB of every idle session, 15.6 KiB of RSS: more than NodeLink's whole session (issue 11). Here a session is
this object, the transport and websockets' sans-I/O `Protocol` (RFC 6455 framing, the close handshake, ping
answers; ~1.1 KB), and no task: frames are written as they come, pings answered where they are read.

websockets rather than framing of our own: it validates every client frame (masking, reserved bits, control
frame rules, fragments, close codes) and carries the close handshake as a tested state machine. It does not check
that a text message is UTF-8 (its asyncio layer does, on assembling), so that is done here.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import struct
import time
from typing import TYPE_CHECKING, Any

from websockets.frames import OP_BINARY, OP_CONT, OP_PONG, OP_TEXT, CloseCode, Frame
from websockets.protocol import OPEN, Protocol, Side

from lavalink_py.metrics.counters import WebSocketStats

if TYPE_CHECKING:
    from lavalink_py.sessions.manager import SessionManager
    from lavalink_py.sessions.session import Session

log = logging.getLogger("lavalink_py.api.websocket")

# aiohttp's default max_msg_size, which the node had before it read frames itself.
MAX_MESSAGE_BYTES = 4 * 2**20
# How long a closing handshake the node started may wait for the client's close frame.
CLOSE_TIMEOUT_S = 5.0

_utf8 = codecs.getincrementaldecoder("utf-8")


class SessionStream(asyncio.Protocol):
    """One client's WebSocket after the handshake; `put` is the session's transport (`Session.attach`)."""

    __slots__ = (
        "_closed",
        "_failed",
        "_fragment",
        "_ping_interval_s",
        "_registry",
        "_timer",
        "_transport",
        "_ws",
        "session",
        "sessions",
        "stats",
    )

    session: Session  # bound once the session is open
    sessions: SessionManager

    def __init__(
        self,
        transport: asyncio.Transport,
        stats: WebSocketStats,
        ping_interval_s: float,
        registry: set[SessionStream],
    ) -> None:
        self._transport = transport
        self.stats = stats
        self._registry = registry
        # Its own logger ("websockets.server"), not ours: at DEBUG it logs every frame, which `lavalink_py: DEBUG`
        # must not turn on for every session (an operator who wants it sets `logging.level.websockets`).
        self._ws = Protocol(Side.SERVER, max_size=MAX_MESSAGE_BYTES)
        # While a fragmented message arrives: its kind, its size so far, and for text the UTF-8 check so far.
        self._fragment: tuple[str, int, Any] | None = None
        # Set by connection_lost; a future only once `close` waits for it.
        self._closed: asyncio.Future[None] | bool = False
        self._failed = False  # a protocol error was counted: the parser discards whatever follows
        self._ping_interval_s = ping_interval_s
        # No pings by default (metrics.websocket_ping_interval 0), as Lavalink: an idle session then has no timer.
        self._timer: asyncio.TimerHandle | None = None
        registry.add(self)

    def bind(self, session: Session, sessions: SessionManager) -> None:
        """The session is open: its messages come through `put`, and its end goes to `sessions.closed`."""
        self.session, self.sessions = session, sessions
        if self._ping_interval_s > 0:
            self._timer = asyncio.get_running_loop().call_later(self._ping_interval_s, self._ping)

    # The session's side.

    def put(self, payload: bytes) -> None:
        """Send one text message (already UTF-8 JSON); dropped once the socket is closing."""
        if self._ws.state is not OPEN or self._transport.is_closing():
            return
        self._ws.send_text(payload)
        self._flush()
        self.stats.message("outbound", "text", len(payload))

    async def close(self, code: int, reason: str) -> None:
        """Start the closing handshake and wait (bounded) until the connection is gone."""
        if self._closed is True:
            return
        if self._ws.state is OPEN:
            self._ws.send_close(code, reason)
            self._flush()
        if self._closed is False:
            self._closed = asyncio.get_running_loop().create_future()
        waiter = self._closed
        assert isinstance(waiter, asyncio.Future)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), CLOSE_TIMEOUT_S)
        except TimeoutError:
            self._transport.abort()

    def _ping(self) -> None:
        if self._ws.state is not OPEN:
            return
        # The payload is when it left: the pong's round trip is the session's latency.
        self._ws.send_ping(struct.pack(">d", time.monotonic()))
        self._flush()
        self._timer = asyncio.get_running_loop().call_later(self._ping_interval_s, self._ping)

    def _flush(self) -> None:
        for data in self._ws.data_to_send():
            if data:
                self._transport.write(data)
            else:  # the end of the stream: a server closes the TCP connection once the close handshake is done
                self._transport.close()

    # asyncio.Protocol: what the client sends.

    def data_received(self, data: bytes) -> None:
        ws = self._ws
        ws.receive_data(data)
        for frame in ws.events_received():
            if self._failed:
                break
            assert isinstance(frame, Frame)  # after the handshake, events are frames
            self._frame(frame)
        self._flush()
        if ws.parser_exc is not None and not self._failed and not isinstance(ws.parser_exc, EOFError):
            self._failed = True
            self.stats.error("protocol")

    def eof_received(self) -> bool:
        self._ws.receive_eof()
        self._flush()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.stats.error("connection")
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._registry.discard(self)
        if isinstance(self._closed, asyncio.Future) and not self._closed.done():
            self._closed.set_result(None)
        self._closed = True
        if hasattr(self, "session"):
            self.sessions.closed(self.session, self.put)

    def _frame(self, frame: Frame) -> None:
        opcode = frame.opcode
        if opcode is OP_PONG:
            if len(frame.data) == 8:  # one of our pings: its payload is when it left
                self.stats.observe_latency(time.monotonic() - struct.unpack(">d", frame.data)[0])
            return
        if opcode is OP_TEXT or opcode is OP_BINARY:
            kind = "text" if opcode is OP_TEXT else "binary"
            self._fragment = (kind, 0, _utf8() if kind == "text" else None)
        elif opcode is not OP_CONT or self._fragment is None:
            return  # ping (websockets answers it), close (websockets answers it)
        kind, size, text = self._fragment
        size += len(frame.data)
        if text is not None:
            try:
                text.decode(frame.data, final=frame.fin)
            except UnicodeDecodeError:
                self._fragment = None
                self._failed = True
                self._ws.fail(CloseCode.INVALID_DATA, "invalid UTF-8 in a text message")
                self.stats.error("protocol")
                return
        if not frame.fin:
            self._fragment = (kind, size, text)
            return
        self._fragment = None
        self.stats.message("inbound", "text" if kind == "text" else "binary", size)
        log.warning("session=%s Lavalink v4 does not support websocket messages; use the REST API", self._session_id())

    def _session_id(self) -> str:
        return self.session.id if hasattr(self, "session") else "-"
