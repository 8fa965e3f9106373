"""Discord voice gateway v8 as a sans-I/O state machine.

Sequence per WebSocket (Discord voice docs):
  connection_made(resume=False) -> op 0 Identify (max_dave_protocol_version)
  connection_made(resume=True)  -> op 7 Resume (seq_ack) -> op 9 Resumed, then the server replays what we missed
  op 8 Hello        -> heartbeat every interval (capped at 5 s): op 3 {t, seq_ack}; op 6 echoes t -> ping
  op 2 Ready        -> Ready event; the driver does IP discovery and calls select_protocol(ip, port)
  op 1 Select       -> mode: aead_aes256_gcm_rtpsize if offered, else aead_xchacha20_poly1305_rtpsize
  op 4 Session desc -> SessionDescription event (mode, 32-byte key, DAVE version); state ACTIVE
  ops 11/13         -> connected user ids (DAVE's expected members); ops 21-31 -> DaveAdapter
Every server message may carry `seq` (JSON) or a u16 prefix (binary); the last one is our seq_ack.
Input is `receive_text` (or `decode_text` + `receive_json`) / `receive_binary` / `tick(now)`;
output is `events_received()` / `data_to_send()`.
Malformed input raises RemoteProtocolError; nothing else escapes.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from lavalink_py.voice.cipher import KEY_SIZE, Mode, choose_mode
from lavalink_py.voice.dave import OFFLOADABLE_OPS, DaveAdapter, MlsCall
from lavalink_py.voice.errors import CipherError, LocalProtocolError, RemoteProtocolError

OP_IDENTIFY, OP_SELECT_PROTOCOL, OP_READY, OP_HEARTBEAT, OP_SESSION_DESCRIPTION = 0, 1, 2, 3, 4
OP_SPEAKING, OP_HEARTBEAT_ACK, OP_RESUME, OP_HELLO, OP_RESUMED = 5, 6, 7, 8, 9
OP_CLIENTS_CONNECT, OP_CLIENT_DISCONNECT = 11, 13
DAVE_JSON_OPS = frozenset({21, 22, 24})
_MLS_JSON_OPS = frozenset({OP_SESSION_DESCRIPTION, 24})
HEARTBEAT_CAP_S = 5.0
MAX_MISSED_ACKS = 3
SPEAKING_MICROPHONE = 1


class GatewayState(enum.Enum):
    DISCONNECTED = "disconnected"
    IDENTIFYING = "identifying"  # sent op 0, waiting for Ready
    SELECTING = "selecting"  # got Ready, waiting for the driver's IP discovery
    AWAITING_SESSION = "awaiting_session"  # sent op 1
    RESUMING = "resuming"  # sent op 7
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class VoiceCredentials:
    guild_id: int
    user_id: int
    channel_id: int
    session_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Ready:
    ssrc: int
    ip: str
    port: int
    modes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SessionDescription:
    mode: Mode
    secret_key: bytes
    dave_protocol_version: int


@dataclass(frozen=True, slots=True)
class Resumed:
    pass


@dataclass(frozen=True, slots=True)
class HeartbeatAcked:
    ping_ms: int


@dataclass(frozen=True, slots=True)
class HeartbeatTimedOut:
    missed: int


GatewayEvent = Ready | SessionDescription | Resumed | HeartbeatAcked | HeartbeatTimedOut


def _field(d: dict[str, Any], key: str, kind: type, op: int) -> Any:
    value = d.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RemoteProtocolError(f"op {op}: field {key!r} must be {kind.__name__}, got {value!r}")
    return value


class VoiceGateway:
    def __init__(self, credentials: VoiceCredentials, dave: DaveAdapter) -> None:
        self.credentials = credentials
        self.dave = dave
        self.state = GatewayState.DISCONNECTED
        self.seq_ack = -1
        self.ssrc: int | None = None
        self.mode: Mode | None = None
        self.ping_ms = -1
        self.ignored_messages = 0
        self._modes: tuple[str, ...] = ()
        self._events: list[GatewayEvent] = []
        self._outbound: list[str | bytes] = []
        self._interval_s: float | None = None
        self._next_heartbeat = 0.0
        self._unacked: dict[int, float] = {}
        self._last_nonce = -1
        self._has_session = False

    # -- output ---------------------------------------------------------------------------------------------------
    def events_received(self) -> list[GatewayEvent]:
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[str | bytes]:
        for message in self.dave.data_to_send():
            self._outbound.append(message if isinstance(message, bytes) else self._json(message.op, message.d))
        out, self._outbound = self._outbound, []
        return out

    @staticmethod
    def _json(op: int, d: Any) -> str:
        return json.dumps({"op": op, "d": d}, separators=(",", ":"))

    def _send(self, op: int, d: Any) -> None:
        self._outbound.append(self._json(op, d))

    @property
    def can_resume(self) -> bool:
        return self._has_session

    def next_deadline(self) -> float | None:
        return self._next_heartbeat if self._interval_s is not None else None

    # -- driver calls ---------------------------------------------------------------------------------------------
    def connection_made(self, resume: bool) -> None:
        c = self.credentials
        self._interval_s = None
        self._unacked.clear()
        # What the last WebSocket's writer did not get out must not precede op 0/op 7 on this one: a stale op 1
        # (queued while IP discovery outlived the socket) sent before Identify makes the server answer op 4
        # before op 2, i.e. in state IDENTIFYING (issue 11, 200 handshakes under load).
        pending, self._outbound = self._outbound, []
        if resume:
            if not self._has_session:
                raise LocalProtocolError("cannot resume a voice session that never started")
            self.state = GatewayState.RESUMING
            d = {"server_id": str(c.guild_id), "session_id": c.session_id, "token": c.token, "seq_ack": self.seq_ack}
            self._send(OP_RESUME, d)
            # The same session goes on: DAVE replies and Speaking still matter, after op 7; old heartbeats do not.
            self._outbound.extend(m for m in pending if not _is_heartbeat(m))
            return
        self.state = GatewayState.IDENTIFYING
        self.seq_ack = -1
        self._has_session = False
        self.dave.new_session()
        self._send(
            OP_IDENTIFY,
            {
                "server_id": str(c.guild_id),
                "user_id": str(c.user_id),
                "session_id": c.session_id,
                "token": c.token,
                "max_dave_protocol_version": self.dave.max_protocol_version,
            },
        )

    def connection_lost(self) -> None:
        self.state = GatewayState.DISCONNECTED
        self._interval_s = None

    def select_protocol(self, address: str, port: int) -> None:
        if self.state is not GatewayState.SELECTING:
            raise LocalProtocolError(f"select_protocol in state {self.state.value}")
        try:
            self.mode = choose_mode(list(self._modes))
        except CipherError as exc:
            raise RemoteProtocolError(str(exc)) from exc
        self.state = GatewayState.AWAITING_SESSION
        data = {"address": address, "port": port, "mode": self.mode}
        self._send(OP_SELECT_PROTOCOL, {"protocol": "udp", "data": data})

    def speaking(self, flags: int) -> None:
        if self.ssrc is None:
            raise LocalProtocolError("speaking before Ready")
        self._send(OP_SPEAKING, {"speaking": flags, "delay": 0, "ssrc": self.ssrc})

    def tick(self, now: float) -> None:
        if self._interval_s is None or now < self._next_heartbeat:
            return
        if len(self._unacked) >= MAX_MISSED_ACKS:
            self._events.append(HeartbeatTimedOut(len(self._unacked)))
            self._interval_s = None
            return
        nonce = max(int(now * 1000), self._last_nonce + 1)
        self._last_nonce = nonce
        self._unacked[nonce] = now
        self._next_heartbeat = now + self._interval_s
        self._send(OP_HEARTBEAT, {"t": nonce, "seq_ack": self.seq_ack})

    # -- input ----------------------------------------------------------------------------------------------------
    def receive_text(self, text: str, now: float) -> None:
        self.receive_json(decode_text(text), now)

    def receive_json(self, message: dict[str, Any], now: float) -> None:
        op = _field(message, "op", int, -1)
        seq = message.get("seq")
        if seq is not None:
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise RemoteProtocolError(f"op {op}: seq must be an integer, got {seq!r}")
            self.seq_ack = seq
        required = _TRANSITIONS.get(op)
        if required is not None and self.state is not required:
            raise RemoteProtocolError(f"op {op} is not expected in state {self.state.value}")
        d = message.get("d")
        if op == OP_RESUMED:
            self._on_resumed()
            return
        if not isinstance(d, dict):
            if op in _HANDLERS or op in DAVE_JSON_OPS:
                raise RemoteProtocolError(f"op {op}: payload must be an object, got {type(d).__name__}")
            self.ignored_messages += 1
            return
        handler = _HANDLERS.get(op)
        if handler is not None:
            handler(self, d, now)
        elif op in DAVE_JSON_OPS:
            self.dave.receive_json(op, d)
        else:
            self.ignored_messages += 1

    def receive_binary(self, data: bytes) -> None:
        self._binary_prefix(data)
        self.dave.receive_binary(data[2], data[3:])

    def begin_binary(self, data: bytes) -> MlsCall:
        """A binary message that `offloadable` accepted, as its MLS call (DaveAdapter.begin_binary): the driver
        runs it on its MLS thread and finishes it before handling the next message."""
        self._binary_prefix(data)
        return self.dave.begin_binary(data[2], data[3:])

    def _binary_prefix(self, data: bytes) -> None:
        if len(data) < 3:
            raise RemoteProtocolError(f"binary voice message of {len(data)} bytes lacks its seq/op prefix")
        self.seq_ack = int.from_bytes(data[:2], "big")

    # -- handlers -------------------------------------------------------------------------------------------------
    def _on_hello(self, d: dict[str, Any], now: float) -> None:
        interval = d.get("heartbeat_interval")
        if not isinstance(interval, int | float) or isinstance(interval, bool) or not 0 < interval < 1e9:
            raise RemoteProtocolError(f"op 8: bad heartbeat_interval {interval!r}")
        self._interval_s = min(interval / 1000, HEARTBEAT_CAP_S)
        self._next_heartbeat = now
        self.tick(now)

    def _on_ready(self, d: dict[str, Any], now: float) -> None:
        ssrc = _field(d, "ssrc", int, OP_READY)
        ip = _field(d, "ip", str, OP_READY)
        port = _field(d, "port", int, OP_READY)
        modes = _field(d, "modes", list, OP_READY)
        if not 0 <= ssrc < 1 << 32 or not 0 < port < 1 << 16:
            raise RemoteProtocolError(f"op 2: ssrc {ssrc} or port {port} out of range")
        self.ssrc = ssrc
        self._modes = tuple(m for m in modes if isinstance(m, str))
        self.state = GatewayState.SELECTING
        self._events.append(Ready(ssrc, ip, port, self._modes))

    def _on_session_description(self, d: dict[str, Any], now: float) -> None:
        mode = _field(d, "mode", str, OP_SESSION_DESCRIPTION)
        if self.mode is None or mode != self.mode:
            raise RemoteProtocolError(f"op 4: server chose mode {mode!r}, we selected {self.mode!r}")
        key = _field(d, "secret_key", list, OP_SESSION_DESCRIPTION)
        valid = all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256 for b in key)
        if len(key) != KEY_SIZE or not valid:
            raise RemoteProtocolError(f"op 4: secret_key must be {KEY_SIZE} byte values, got {len(key)} items")
        version = d.get("dave_protocol_version", 0)
        if not isinstance(version, int) or isinstance(version, bool) or version < 0:
            raise RemoteProtocolError(f"op 4: bad dave_protocol_version {version!r}")
        self.dave.session_description(version)
        self.state = GatewayState.ACTIVE
        self._has_session = True
        self._events.append(SessionDescription(self.mode, bytes(key), version))

    def _on_resumed(self) -> None:
        self.state = GatewayState.ACTIVE
        self._events.append(Resumed())

    def _on_heartbeat_ack(self, d: dict[str, Any], now: float) -> None:
        nonce = d.get("t")
        sent = self._unacked.pop(nonce, None) if isinstance(nonce, int) else None
        if sent is None:
            self.ignored_messages += 1
            return
        # Older heartbeats still unacked are lost, not late: this ack proves the link is alive.
        self._unacked.clear()
        self.ping_ms = round((now - sent) * 1000)
        self._events.append(HeartbeatAcked(self.ping_ms))

    def _on_clients_connect(self, d: dict[str, Any], now: float) -> None:
        ids = _field(d, "user_ids", list, OP_CLIENTS_CONNECT)
        self.dave.clients_connected([_user_id(u) for u in ids])

    def _on_client_disconnect(self, d: dict[str, Any], now: float) -> None:
        self.dave.client_disconnected(_user_id(d.get("user_id")))


def decode_text(text: str) -> dict[str, Any]:
    """One text message as the JSON object `receive_json` takes; the driver decodes first to route MLS work."""
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise RemoteProtocolError(f"voice gateway sent invalid JSON: {exc}") from exc
    except RecursionError as exc:  # the voice endpoint is the client's to choose: any server may answer
        raise RemoteProtocolError("voice gateway sent JSON nested deeper than the parser reads") from exc
    if not isinstance(message, dict):
        raise RemoteProtocolError("voice gateway message is not a JSON object")
    return message


def carries_mls_work(message: dict[str, Any]) -> bool:
    """Whether handling this JSON message may run DAVE's MLS (re-init + key package: op 4 with DAVE, op 24).
    Every binary message may (ops 25-30); the rest is cheap."""
    return message.get("op") in _MLS_JSON_OPS


def offloadable(data: bytes) -> bool:
    """Whether this binary message's MLS call releases the GIL (ops 27, 29, 30), so it may run off the loop."""
    return len(data) >= 3 and data[2] in OFFLOADABLE_OPS


def is_heartbeat_ack(message: dict[str, Any]) -> bool:
    """An op 6 without `seq` touches only the heartbeat state: the driver may feed it ahead of the messages still
    queued behind MLS work (a sequenced one would move seq_ack past them)."""
    return message.get("op") == OP_HEARTBEAT_ACK and "seq" not in message


def _is_heartbeat(message: str | bytes) -> bool:
    return isinstance(message, str) and message.startswith(f'{{"op":{OP_HEARTBEAT},')


def _user_id(value: object) -> int:
    if isinstance(value, str) and value.isdigit() and len(value) <= 20:
        return int(value)
    raise RemoteProtocolError(f"user id {value!r} is not a snowflake string")


# Server ops that move the state machine, and the one state each may arrive in; every other op may come any time.
_TRANSITIONS = {
    OP_READY: GatewayState.IDENTIFYING,  # -> SELECTING (then select_protocol() -> AWAITING_SESSION)
    OP_SESSION_DESCRIPTION: GatewayState.AWAITING_SESSION,  # -> ACTIVE
    OP_RESUMED: GatewayState.RESUMING,  # -> ACTIVE
}

_HANDLERS = {
    OP_HELLO: VoiceGateway._on_hello,
    OP_READY: VoiceGateway._on_ready,
    OP_SESSION_DESCRIPTION: VoiceGateway._on_session_description,
    OP_HEARTBEAT_ACK: VoiceGateway._on_heartbeat_ack,
    OP_CLIENTS_CONNECT: VoiceGateway._on_clients_connect,
    OP_CLIENT_DISCONNECT: VoiceGateway._on_client_disconnect,
}
