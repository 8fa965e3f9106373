"""FakeVoiceServer: Discord's voice server for one call, on 127.0.0.1, over real TLS and real UDP.

WebSocket (v8 only): Hello; Identify validated (token, session, user, server; 4017 when
max_dave_protocol_version < 1 and DAVE is required); Ready (ssrc, ip, port, modes); Select Protocol ->
Session Description with a random key; Heartbeat (needs t and seq_ack) -> ACK; Speaking registers the SSRC;
sequenced messages (JSON `seq`, binary u16 prefix) are buffered and replayed after Resume (4006 when the
seq_ack is older than the buffer); DAVE through `DaveGroup`.
UDP: 74-byte IP discovery; RTP decrypted with the session's AEAD mode, checked (SSRC, Speaking), recorded and
handed to every simulated listener, which DAVE-decrypts and Opus-decodes as a Discord client would.
`decrypt_every=N` (capacity benchmarks): every packet's clear RTP header is still checked and recorded (SSRC,
sequence, arrival), but only one in N is decrypted and handed to the listeners, so the fakes' CPU does not crowd
out the node they measure; the others are recorded with `verified=False` and no payload.
`udp_hub=UdpHub(...)` (capacity benchmarks): no socket of its own; the hub's one socket reads the headers of many
servers' packets (udp_hub.py) and hands this server one in `decrypt_every` for the full path; `hub_stream` then
holds the counts and arrival times, and `packets` only the sampled, verified packets.
Faults: drop_websocket(), refuse_next_resume, ack_heartbeats, close_websocket(code), add/remove_listener(),
force_new_epoch(), downgrade(), inject_invalid_commit(), send_raw_text()/send_raw_binary(), secret_key_size.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import ssl
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from aiohttp import WSMsgType, web

from lavalink_py.voice.cipher import AES_GCM, XCHACHA, TransportCipher, make_cipher
from lavalink_py.voice.errors import CipherError
from lavalink_py.voice.ip_discovery import PACKET_SIZE, build_response
from tests.fakes.discord_voice.group import DaveGroup, ToNode
from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.pki import voice_pki
from tests.fakes.discord_voice.udp_hub import HubStream, UdpHub

BOTH_MODES = (AES_GCM, XCHACHA)


@dataclass(frozen=True)
class ReceivedPacket:
    sequence: int
    timestamp: int
    ssrc: int
    nonce: int
    payload: bytes
    arrival_s: float  # time.monotonic() when the datagram was handled
    verified: bool = True  # False: header only, not decrypted (decrypt_every > 1)


@dataclass
class UdpCounters:
    before_speaking: int = 0
    wrong_ssrc: int = 0
    undecryptable: int = 0


@dataclass
class FakeVoiceServer:
    guild_id: int = 111
    channel_id: int = 222
    node_user_id: int = 333
    session_id: str = "voice-session"
    token: str = "voice-token"
    modes: tuple[str, ...] = BOTH_MODES
    dave_version: int = 1
    listener_ids: tuple[int, ...] = ()
    decode_audio: bool = True
    decrypt_every: int = 1
    heartbeat_interval_ms: float = 1000.0
    buffer_size: int = 256
    refuse_next_resume: bool = False
    ack_heartbeats: bool = True
    external_sender_first: bool = False  # send op 25 right after Ready, before Session Description
    udp_hub: UdpHub | None = None
    hub_stream: HubStream | None = None
    packets: list[ReceivedPacket] = field(default_factory=list)
    udp_rejected: UdpCounters = field(default_factory=UdpCounters)
    secret_key_size: int = 32
    ws_connections: int = 0
    identifies: int = 0
    resumes: int = 0
    speaking: list[int] = field(default_factory=list)
    selected_mode: str | None = None
    heartbeats: int = 0
    group: DaveGroup = field(init=False)
    _ssrc: int = 0
    _speaking_registered: bool = False
    _cipher: TransportCipher | None = None
    _seq: int = 0
    _datagrams: int = 0
    _buffer: deque[tuple[int, str | bytes]] = field(init=False)
    _ws: web.WebSocketResponse | None = None
    _transport: asyncio.Transport | None = None
    _runner: web.AppRunner | None = None
    _udp: asyncio.DatagramTransport | None = None
    _port: int = 0
    _udp_port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._buffer = deque(maxlen=self.buffer_size)
        self.group = DaveGroup(self.channel_id, self.node_user_id)
        for user_id in self.listener_ids:
            self.group.add_listener(user_id, decode=self.decode_audio)
        self.group.take_output()  # ops 11 for initial listeners go out after Session Description

    # -- lifecycle ----------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._handle_ws)
        # A node whose player still holds its voice socket keeps that handler running: at close, stop waiting for it
        # after a second (the node then sees the connection drop, as it would after the default 60 s wait).
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=voice_pki().server_context())
        await site.start()
        self._port = self._runner.addresses[0][1]
        if self.udp_hub is not None:
            self._udp_port = self.udp_hub.port
            return
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Udp(self._on_datagram), local_addr=("127.0.0.1", 0)
        )
        self._udp = transport
        self._udp_port = transport.get_extra_info("sockname")[1]

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self.udp_hub is not None:
            self.udp_hub.forget(self._ssrc)
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeVoiceServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._port}"

    @staticmethod
    def client_ssl_context() -> ssl.SSLContext:
        return voice_pki().client_context()

    @staticmethod
    def ca_file() -> Path:
        """The test CA as a PEM file: point SSL_CERT_FILE at it so the default SSLContext trusts the fake."""
        return voice_pki().ca_file

    def voice_state(self) -> dict[str, str]:
        """The Lavalink `voice` object of a player that should connect here (the user id is the node's User-Id)."""
        return {
            "token": self.token,
            "endpoint": self.endpoint,
            "sessionId": self.session_id,
            "channelId": str(self.channel_id),
        }

    @property
    def listeners(self) -> dict[int, SimulatedListener]:
        return self.group.listeners

    @property
    def ws_connected(self) -> bool:
        return self._ws is not None

    def sequence_errors(self) -> list[tuple[int, int]]:
        """Consecutive received packets whose RTP sequence does not step by exactly 1 (gap, repeat, reorder)."""
        pairs = itertools.pairwise(p.sequence for p in self.packets)
        return [(a, b) for a, b in pairs if (b - a) % 65536 != 1]

    def timestamp_errors(self) -> list[tuple[int, int]]:
        """Consecutive packets whose timestamps do not advance by a positive multiple of 960 samples."""
        pairs = itertools.pairwise(p.timestamp for p in self.packets)
        return [(a, b) for a, b in pairs if (b - a) % (1 << 32) % 960 or (b - a) % (1 << 32) == 0]

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()

    # -- faults ---------------------------------------------------------------------------------------------------
    async def drop_websocket(self) -> None:
        """An unclean drop: the TCP connection dies with no close frame (the node sees 1006)."""
        ws = self._ws
        self._ws = None
        if ws is not None and self._transport is not None:
            self._transport.abort()
        self._notify()

    async def close_websocket(self, code: int, reason: str = "") -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close(code=code, message=reason.encode())
        self._notify()

    async def send_raw_text(self, text: str) -> None:
        if self._ws is not None:
            await self._ws.send_str(text)

    async def send_raw_binary(self, data: bytes) -> None:
        if self._ws is not None:
            await self._ws.send_bytes(data)

    async def add_listener(self, user_id: int) -> SimulatedListener:
        listener = self.group.add_listener(user_id, decode=self.decode_audio)
        await self._flush_group()
        return listener

    async def remove_listener(self, user_id: int) -> None:
        self.group.remove_listener(user_id)
        await self._flush_group()

    async def force_new_epoch(self) -> None:
        """A phantom member joins, so every member moves to a new epoch."""
        await self.add_listener(secrets.randbits(40) + 1)

    async def downgrade(self) -> None:
        self.group.downgrade()
        await self._flush_group()

    async def inject_invalid_commit(self) -> None:
        self.group.inject_invalid_commit()
        await self._flush_group()

    # -- sending ------------------------------------------------------------------------------------------------------
    async def _send_sequenced(self, op: int, d: dict[str, Any] | None = None, binary: bytes | None = None) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        data: str | bytes
        if binary is not None:
            data = struct.pack(">HB", self._seq, op) + binary
        else:
            data = json.dumps({"op": op, "d": d, "seq": self._seq})
        self._buffer.append((self._seq, data))
        await self._send(data)

    async def _send(self, data: str | bytes) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            return  # buffered (when sequenced) and replayed on resume
        with contextlib.suppress(ConnectionError, RuntimeError):
            if isinstance(data, bytes):
                await ws.send_bytes(data)
            else:
                await ws.send_str(data)

    async def _flush_group(self) -> None:
        for message in self.group.take_output():
            await self._send_to_node(message)
        self._notify()

    async def _send_to_node(self, message: ToNode) -> None:
        await self._send_sequenced(message.op, message.json, message.binary)

    # -- WebSocket ---------------------------------------------------------------------------------------------------
    async def _handle_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws_connections += 1
        if request.query.get("v") != "8":
            await ws.close(code=4020, message=b"voice gateway v8 only")
            return ws
        if self._ws is not None:
            await self._ws.close(code=4005, message=b"replaced")
        self._ws, self._transport = ws, request.transport
        await ws.send_str(json.dumps({"op": 8, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}))
        self._notify()
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await self._on_text(ws, message.data)
            elif message.type is WSMsgType.BINARY:
                await self._on_binary(message.data)
            self._notify()
        if self._ws is ws:
            self._ws = None
        self._notify()
        return ws

    async def _on_text(self, ws: web.WebSocketResponse, text: str) -> None:
        try:
            message = json.loads(text)
            op, d = message["op"], message["d"]
        except (ValueError, KeyError, TypeError):
            await ws.close(code=4002, message=b"failed to decode payload")
            return
        if op == 0:
            await self._identify(ws, d)
        elif op == 7:
            await self._resume(ws, d)
        elif op == 3:
            if not isinstance(d, dict) or "t" not in d or "seq_ack" not in d:
                await ws.close(code=4020, message=b"heartbeat needs t and seq_ack")
                return
            self.heartbeats += 1
            if self.ack_heartbeats:
                await ws.send_str(json.dumps({"op": 6, "d": {"t": d["t"]}}))
        elif op == 1:
            await self._select_protocol(ws, d)
        elif op == 5:
            self.speaking.append(int(d["speaking"]))
            registered = self._speaking_registered
            self._speaking_registered = registered or d.get("ssrc") == self._ssrc
            if self.udp_hub is not None and self._speaking_registered and not registered:
                self.hub_stream = self.udp_hub.register(self._ssrc, self._verify)
        elif op == 23:
            self.group.transition_ready(int(d["transition_id"]))
            await self._flush_group()
        elif op == 31:
            self.group.invalid_commit_reported(int(d["transition_id"]))

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        if (d.get("token"), d.get("session_id")) != (self.token, self.session_id) or d.get("server_id") != str(
            self.guild_id
        ):
            await ws.close(code=4004, message=b"authentication failed")
            return
        if self.dave_version > 0 and int(d.get("max_dave_protocol_version") or 0) < 1:
            await ws.close(code=4017, message=b"E2EE/DAVE protocol required")
            return
        self.identifies += 1
        if self.udp_hub is not None:
            self.udp_hub.forget(self._ssrc)
        self._seq, self._cipher, self._speaking_registered = 0, None, False
        self._buffer.clear()
        self._ssrc = secrets.randbits(31) + 1
        self.group.reset()
        modes = list(self.modes)
        ready = {"ssrc": self._ssrc, "ip": "127.0.0.1", "port": self._udp_port, "modes": modes, "heartbeat_interval": 1}
        await self._send_sequenced(2, ready)
        if self.dave_version > 0 and self.external_sender_first:
            self.group.opening_messages()
            await self._flush_group()

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        seq_ack = d.get("seq_ack")
        oldest = self._buffer[0][0] if self._buffer else self._seq + 1
        valid = (d.get("token"), d.get("session_id")) == (self.token, self.session_id) and self.identifies > 0
        if self.refuse_next_resume or not valid or not isinstance(seq_ack, int) or seq_ack < oldest - 1:
            self.refuse_next_resume = False
            await ws.close(code=4006, message=b"session no longer valid")
            return
        self.resumes += 1
        await ws.send_str(json.dumps({"op": 9, "d": None}))
        for seq, data in list(self._buffer):
            if seq > seq_ack:
                await self._send(data)

    async def _select_protocol(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        mode = d["data"]["mode"]
        if mode not in self.modes:
            await ws.close(code=4016, message=b"unknown encryption mode")
            return
        key = secrets.token_bytes(self.secret_key_size)
        self._cipher = make_cipher(mode, key) if len(key) == 32 else None
        self.selected_mode = mode
        description = {"mode": mode, "secret_key": list(key), "dave_protocol_version": self.dave_version}
        await self._send_sequenced(4, description)
        if self.dave_version > 0 and not self.external_sender_first:
            self.group.opening_messages()
            await self._flush_group()

    async def _on_binary(self, data: bytes) -> None:
        if not data:
            return
        op, payload = data[0], data[1:]
        if op == 26:
            self.group.node_key_package_received(payload)
        elif op == 28:
            self.group.commit_received(payload)
        await self._flush_group()

    # -- UDP --------------------------------------------------------------------------------------------------------
    def _on_datagram(self, data: bytes, addr: tuple[str, int], transport: asyncio.DatagramTransport) -> None:
        if len(data) == PACKET_SIZE and data[:2] == b"\x00\x01":
            transport.sendto(build_response(int.from_bytes(data[4:8], "big"), addr[0], addr[1]), addr)
            return
        cipher = self._cipher
        if cipher is None:
            self.udp_rejected.undecryptable += 1
            return
        self._datagrams += 1
        if self.decrypt_every > 1 and self._datagrams % self.decrypt_every:
            self._record_unverified(data)
            return
        self._verify(data)

    def _verify(self, data: bytes) -> None:
        """The full path of one packet: transport AEAD, SSRC and Speaking checks, every listener's DAVE."""
        cipher = self._cipher
        if cipher is None:
            self.udp_rejected.undecryptable += 1
            return
        try:
            packet = cipher.decrypt(data)
        except CipherError:
            self.udp_rejected.undecryptable += 1
            return
        header = packet.header
        if header.ssrc != self._ssrc:
            self.udp_rejected.wrong_ssrc += 1
            return
        if not self._speaking_registered:
            self.udp_rejected.before_speaking += 1
            return
        received = ReceivedPacket(
            header.sequence, header.timestamp, header.ssrc, packet.nonce, packet.payload, time.monotonic()
        )
        self.packets.append(received)
        for listener in self.group.listeners.values():
            listener.receive(header.sequence, packet.payload, self.node_user_id, self.dave_version > 0)
        self._notify()


    def _record_unverified(self, data: bytes) -> None:
        if len(data) < 12 + 16 + 4 or data[0] >> 6 != 2:
            self.udp_rejected.undecryptable += 1
            return
        _, _, sequence, timestamp, ssrc = _RTP_HEADER.unpack_from(data)
        if ssrc != self._ssrc:
            self.udp_rejected.wrong_ssrc += 1
            return
        if not self._speaking_registered:
            self.udp_rejected.before_speaking += 1
            return
        nonce = int.from_bytes(data[-4:], "big")
        self.packets.append(ReceivedPacket(sequence, timestamp, ssrc, nonce, b"", time.monotonic(), verified=False))
        self._notify()


_RTP_HEADER = struct.Struct(">BBHII")


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, tuple[str, int], asyncio.DatagramTransport], None]) -> None:
        self._on_datagram = on_datagram
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport, but has its API.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self._transport is not None:
            self._on_datagram(data, addr, self._transport)
