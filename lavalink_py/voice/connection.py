"""VoiceConnection: the asyncio driver of one guild's Discord voice session. It only feeds, sends and dispatches.

  run task:  connect wss://{endpoint}/?v=8 -> VoiceGateway.connection_made(resume)
             reader: op 6 heartbeat ACK -> gateway at once; every other message -> the dispatcher's queue
             dispatcher (one per socket, in order): text/binary -> gateway.receive_* (the MLS-bearing ones paced
             on the loop by the node's MlsLane);
             events: Ready -> UDP + IP discovery -> select_protocol;
             SessionDescription -> cipher + FrameSender, Speaking 1, connected; Resumed -> connected
  tick task: gateway.tick(now) for heartbeats
  on close:  close_codes.policy_for(code): resume (op 7), reconnect (Identify), or give up
             (WebSocketClosed event when the policy reports it, then VoiceDisconnected)
  send_frame (sync, every 20 ms from the frame clock): DAVE encrypt -> RTP -> AEAD -> sock.send; never raises;
             the player holds its frames while `ready_to_send` is False, so none is dropped or withheld.
             With a PacketOutbox (the node's in-process voice): the packet is built now and sent by the outbox's
             flush at the start of the next tick (outbox.py); one whose SSRC, keys, UDP socket or DAVE state
             changed meanwhile is built again (same RTP counters), or kept while there is no session, sent ahead
             of the next frame; stop_speaking and a second frame send it at once: every frame leaves, in order
UDP, SSRC, keys, RTP counters and DAVE state survive a resume; a new Identify starts them afresh.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeAlias

import aiohttp
import davey

from lavalink_py.voice.cipher import make_cipher
from lavalink_py.voice.close_codes import LOCAL_PROTOCOL_ERROR, CloseAction, decide
from lavalink_py.voice.dave import SILENCE_FRAME, DaveAdapter
from lavalink_py.voice.endpoint import gateway_url
from lavalink_py.voice.errors import VoiceError
from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEventCallback, WebSocketClosed
from lavalink_py.voice.gateway import (
    SPEAKING_MICROPHONE,
    GatewayEvent,
    HeartbeatTimedOut,
    Ready,
    Resumed,
    SessionDescription,
    VoiceCredentials,
    VoiceGateway,
    carries_mls_work,
    decode_text,
    is_heartbeat_ack,
    offloadable,
)
from lavalink_py.voice.mls_lane import MlsLane, shared_lane
from lavalink_py.voice.outbox import PacketOutbox
from lavalink_py.voice.rtp import RtpPacketizer
from lavalink_py.voice.sender import FrameSender
from lavalink_py.voice.udp import VoiceDatagramProtocol, open_voice_udp

log = logging.getLogger(__name__)

SILENCE_FRAMES = 5
CONNECT_TIMEOUT_S = 15.0  # TCP + TLS + HTTP upgrade
FRAME_INTERVAL_S = 0.02
ABNORMAL_CLOSE = 1006


@dataclass(slots=True)
class SendStats:
    packets_sent: int = 0
    frames_withheld: int = 0
    frames_dropped: int = 0  # no voice session to send on
    send_failures: int = 0


_FAILED = b""  # what _build returns when a packet could not be built (never a packet: those have a header)
DaveState: TypeAlias = tuple[int, int | None]  # (sending protocol version, MLS epoch)


@dataclass(slots=True)  # not frozen: one is made per packet, and a frozen __init__ costs twice as much
class _Prepared:
    """A packet built for the next tick, with what it was built on: sent as is only if all of that still holds."""

    frame: bytes
    packet: bytes | None  # None: DAVE withheld it (counted when due: DAVE may be ready by then)
    sender: FrameSender
    udp: VoiceDatagramProtocol
    dave: DaveState
    mark: tuple[int, int, int]  # the sender's counters before it, to build it again with the same ones


# What the reader hands the dispatcher: a decoded text message with its arrival time, or a binary one.
_Inbound = tuple[dict[str, Any], float] | bytes


@dataclass(frozen=True, slots=True)
class _Closed:
    code: int
    reason: str
    by_remote: bool


class VoiceConnection:
    def __init__(
        self,
        *,
        guild_id: int,
        user_id: int,
        channel_id: int,
        session_id: str,
        token: str,
        endpoint: str,
        on_event: VoiceEventCallback,
        ssl_context: ssl.SSLContext | None = None,
        max_dave_protocol_version: int = davey.DAVE_PROTOCOL_VERSION,
        http_session: aiohttp.ClientSession | None = None,
        mls_lane: MlsLane | None = None,
        outbox: PacketOutbox | None = None,
    ) -> None:
        self.guild_id = guild_id
        self.url = gateway_url(endpoint)
        self.stats = SendStats()
        self._on_event = on_event
        self._ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        self.dave = DaveAdapter(user_id, channel_id, max_dave_protocol_version)
        self.gateway = VoiceGateway(VoiceCredentials(guild_id, user_id, channel_id, session_id, token), self.dave)
        # A shared session (the caller's) is used, never closed; otherwise we own one.
        self._http = http_session
        self._owns_http = http_session is None
        # DAVE's MLS calls are paced on the node's shared lane (mls_lane.py), so they cannot hold the frame clock.
        self._mls_lane = mls_lane
        # Given: packets are built in send_frame, sent at the frame clock's next tick (outbox.py); None: at once.
        self._packets = outbox
        self._prepared: _Prepared | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._udp: VoiceDatagramProtocol | None = None
        self._sender: FrameSender | None = None
        self._ws_up = False
        self._speaking = False
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._silence_task: asyncio.Task[None] | None = None
        self._connected_event = asyncio.Event()
        self._e2ee_event = asyncio.Event()
        self._outbox = asyncio.Event()
        self._reached_active = False
        self._timed_out = False

    # -- public ---------------------------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """WebSocket, UDP and transport keys are up (Lavalink's `state.connected`)."""
        return self._ws_up and self._sender is not None and self._udp is not None

    @property
    def e2ee_ready(self) -> bool:
        """Frames are being delivered: DAVE has a group (or the call is transport-only)."""
        return self.connected and self.dave.ready

    @property
    def ready_to_send(self) -> bool:
        """A frame sent now reaches listeners: UDP and keys are up and DAVE (when required) has a group. Frames
        given while this is False are dropped or withheld, so the player holds them instead. The WebSocket may be
        down meanwhile: during a resume the UDP session carries on."""
        sender, udp = self._sender, self._udp
        return sender is not None and udp is not None and udp.transport is not None and self.dave.ready

    @property
    def frames_not_sent(self) -> int:
        """Frames handed over that never left: no voice session, withheld by DAVE, or the send failed (the
        player's `sendLate` frame loss)."""
        s = self.stats
        return s.frames_dropped + s.frames_withheld + s.send_failures

    @property
    def ping_ms(self) -> int:
        return self.gateway.ping_ms if self._ws_up else -1

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"voice-{self.guild_id}")
            self._task.add_done_callback(_log_task_result)

    async def wait_connected(self, timeout_s: float) -> None:
        """Starts if needed and waits for the first connected moment (WebSocket, UDP and keys up)."""
        self.start()
        await asyncio.wait_for(self._connected_event.wait(), timeout_s)

    async def wait_e2ee_ready(self, timeout_s: float) -> None:
        """Starts if needed and waits until frames are delivered (DAVE group joined, or a transport-only call)."""
        self.start()
        await asyncio.wait_for(self._e2ee_event.wait(), timeout_s)

    async def wait_closed(self) -> None:
        """Returns when the connection has given up (or was closed); it never reconnects after that."""
        if self._task is not None:
            await asyncio.wait({self._task})

    async def close(self) -> None:
        self._closing = True
        for task in (self._silence_task, self._task):
            if task is not None and task is not asyncio.current_task():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._teardown_ws(1000)
        self._teardown_udp()
        self._prepared = None  # the outbox may still hold us: its flush then sends nothing
        if self._owns_http and self._http is not None:
            await self._http.close()
            self._http = None
        # A cancelled task keeps its CancelledError, whose traceback holds the frames that hold `self`: with the
        # tasks still referenced here, the whole connection (TLS state, DAVE session, aiohttp session) is a
        # reference cycle that only the cyclic GC frees, late, while players churn (bench/soak.py).
        self._task = self._silence_task = None

    def send_frame(self, frame: bytes) -> None:
        """Sends one 20 ms Opus frame: now, or with an outbox at the start of the next tick (built now). Never
        blocks, never raises: failures are counted in `stats`."""
        if self._silence_task is not None and frame != SILENCE_FRAME:
            self._silence_task.cancel()
            self._silence_task = None
        outbox = self._packets
        if outbox is None:
            self._send_now(frame)
            return
        sender, udp = self._sender, self._udp
        if sender is None or udp is None or udp.transport is None:
            self.stats.frames_dropped += 1
            return
        if self._prepared is not None:  # a second frame before the flush, or one kept over a reconnect: it goes first
            self.send_prepared()
        mark = sender.mark()
        packet = self._build(sender, frame)
        if packet != _FAILED:
            self._prepared = _Prepared(frame, packet, sender, udp, self._dave_state(), mark)
            outbox.add(self)

    def send_prepared(self) -> None:
        """Sends the packet send_frame built (the outbox's flush at the start of a tick); never raises.

        Built on an SSRC, keys or UDP socket that are gone (a new Identify, a torn-down session): built again on the
        current ones, or, while there are none, kept for the session that comes next, as the player keeps its
        frames meanwhile (the next send_frame sends it first). Built before a DAVE transition or epoch change:
        built again with the same RTP counters, so the packet is the one the per-packet path would send now."""
        prepared = self._prepared
        if prepared is None:
            return
        sender, udp = self._sender, self._udp
        if sender is None or udp is None or udp.transport is None:
            return
        self._prepared = None
        packet = prepared.packet
        if sender is not prepared.sender or udp is not prepared.udp or self._dave_state() != prepared.dave:
            if sender is prepared.sender:
                sender.rewind(prepared.mark)
            packet = self._build(sender, prepared.frame)
        self._transmit(udp, packet)

    def _send_now(self, frame: bytes) -> None:
        sender, udp = self._sender, self._udp
        if sender is None or udp is None or udp.transport is None:
            self.stats.frames_dropped += 1
            return
        self._transmit(udp, self._build(sender, frame))

    def _build(self, sender: FrameSender, frame: bytes) -> bytes | None:
        """The packet for `frame`; None when DAVE withholds it; _FAILED when building it failed (counted)."""
        try:
            packet = sender.packet_for(frame)
        except (ValueError, RuntimeError):
            self.stats.send_failures += 1
            return _FAILED
        if packet is not None and not self._speaking:
            self._set_speaking(SPEAKING_MICROPHONE)
        return packet

    def _dave_state(self) -> DaveState:
        dave = self.dave
        session = dave.session
        return dave.protocol_version, None if session is None else session.epoch

    def _transmit(self, udp: VoiceDatagramProtocol, packet: bytes | None) -> None:
        if packet is None:
            self.stats.frames_withheld += 1
            return
        if packet == _FAILED:
            return
        try:
            # Straight on the socket (voice/udp.py): no asyncio transport per packet. A full buffer or an ICMP
            # error raises here and costs this one packet, counted.
            udp.sock.send(packet)
        except OSError:
            self.stats.send_failures += 1
            return
        self.stats.packets_sent += 1

    def stop_speaking(self) -> None:
        """Five Opus silence frames, 20 ms apart, then Speaking 0 (on pause, stop and track end)."""
        # The last frame handed over leaves now, before the silence, as it would have at its own tick without an
        # outbox: pausing or stopping costs the listener no frame and never sends a stale one later.
        self.send_prepared()
        if self._speaking and self._silence_task is None:
            self._silence_task = asyncio.get_running_loop().create_task(self._send_silence())

    async def _send_silence(self) -> None:
        for _ in range(SILENCE_FRAMES):
            # At once, not through the outbox: the clock may have no player left to tick it.
            self._send_now(SILENCE_FRAME)
            await asyncio.sleep(FRAME_INTERVAL_S)
        self._set_speaking(0)
        self._silence_task = None

    # -- internals --------------------------------------------------------------------------------------------------
    def _set_speaking(self, flags: int) -> None:
        self._speaking = flags != 0
        if self._ws_up and self.gateway.ssrc is not None:
            self.gateway.speaking(flags)
            self._flush_soon()

    def _emit(self, event: VoiceConnected | VoiceDisconnected | WebSocketClosed) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("voice event callback failed guild=%d event=%r", self.guild_id, event)

    def _flush_soon(self) -> None:
        self._outbox.set()

    async def _writer(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """The only task that writes to the socket, so messages leave in the order the gateway queued them."""
        while not ws.closed:
            await self._outbox.wait()
            self._outbox.clear()
            try:
                for message in self.gateway.data_to_send():
                    if isinstance(message, bytes):
                        await ws.send_bytes(message)
                    else:
                        await ws.send_str(message)
            except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                log.debug("voice send failed guild=%d: %s", self.guild_id, exc)
                return

    async def _ticker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            deadline = self.gateway.next_deadline()
            await asyncio.sleep(0.25 if deadline is None else max(0.0, deadline - loop.time()))
            self.gateway.tick(loop.time())
            if any(isinstance(e, HeartbeatTimedOut) for e in self.gateway.events_received()):
                self._timed_out = True
                ws = self._ws
                if ws is not None:
                    await ws.close(code=4000)
                return
            self._flush_soon()

    async def _run(self) -> None:
        resume = False
        failures = 0
        try:
            while not self._closing:
                closed = await self._session(resume)
                if self._stopping():
                    return
                failures = 0 if self._reached_active else failures + 1
                decision = decide(closed.code, closed.by_remote, self.gateway.can_resume, failures)
                log.info(
                    "voice closed guild=%d code=%d reason=%s -> %s",
                    self.guild_id, closed.code, closed.reason, decision.action.value,
                )
                if decision.report:
                    final = decision.action is CloseAction.GIVE_UP
                    self._emit(WebSocketClosed(closed.code, closed.reason, closed.by_remote, final))
                if decision.action is CloseAction.GIVE_UP:
                    self._emit(VoiceDisconnected(closed.reason or f"close code {closed.code}"))
                    return
                resume = decision.action is CloseAction.RESUME
                if not resume:
                    self._teardown_udp()
                await asyncio.sleep(min(0.05 * 2**failures, 5.0))
        finally:
            self._ws_up = False
            if not self._closing:
                self._teardown_udp()

    def _stopping(self) -> bool:
        return self._closing

    async def _session(self, resume: bool) -> _Closed:
        """One WebSocket's life; returns how it ended."""
        self._reached_active = False
        if self._http is None:
            self._http = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                ws = await self._http.ws_connect(self.url, ssl=self._ssl, heartbeat=None, max_msg_size=1 << 20)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return _Closed(ABNORMAL_CLOSE, f"connect failed: {exc}", False)
        self._ws = ws
        self.gateway.connection_made(resume)
        self._outbox = asyncio.Event()
        self._flush_soon()
        helpers = [asyncio.create_task(self._writer(ws)), asyncio.create_task(self._ticker())]
        try:
            return await self._read(ws)
        except (VoiceError, OSError) as exc:
            log.warning("voice protocol error guild=%d: %s", self.guild_id, exc)
            await ws.close(code=LOCAL_PROTOCOL_ERROR)
            return _Closed(LOCAL_PROTOCOL_ERROR, str(exc)[:200], False)
        finally:
            self._ws_up = False
            self._e2ee_event.clear()
            self.gateway.connection_lost()
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await self._teardown_ws(1000)

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> _Closed:
        """Reads until the socket ends, handing each message to `_dispatch` in order, except an unsequenced
        heartbeat ACK, fed at once: while a message waits for the MLS lane or for IP discovery, the ticker must
        still see the ACKs, or under load it closes a healthy socket (issue 11)."""
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[_Inbound] = asyncio.Queue()
        failed: list[Exception] = []
        dispatcher = asyncio.create_task(self._dispatch(ws, inbox, failed))
        try:
            while True:
                message = await ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    parsed, now = decode_text(message.data), loop.time()
                    if is_heartbeat_ack(parsed):
                        self.gateway.receive_json(parsed, now)
                    else:
                        inbox.put_nowait((parsed, now))
                elif message.type is aiohttp.WSMsgType.BINARY:
                    inbox.put_nowait(message.data)
                elif message.type is aiohttp.WSMsgType.CLOSE:
                    return _Closed(int(message.data), str(message.extra or ""), True)
                else:
                    break
        finally:
            dispatcher.cancel()
            await asyncio.gather(dispatcher, return_exceptions=True)
        if failed:
            raise failed[0]  # the dispatcher closed the socket on it
        if self._timed_out:
            self._timed_out = False
            return _Closed(ABNORMAL_CLOSE, "heartbeat ACKs missing", False)
        exc = ws.exception()
        return _Closed(ws.close_code or ABNORMAL_CLOSE, str(exc) if exc else "connection lost", True)

    async def _dispatch(
        self, ws: aiohttp.ClientWebSocketResponse, inbox: asyncio.Queue[_Inbound], failed: list[Exception]
    ) -> None:
        """Handles the socket's messages one at a time, in order, awaiting each one's MLS call and IP discovery:
        MLS state is sequential, and an op 22 must follow the commit it executes. An error goes into `failed`
        and closes the socket, so that `_read` ends and raises it (the close itself is cancelled when the
        reader returns first)."""
        try:
            while True:
                await self._feed(await inbox.get())
                for event in self.gateway.events_received():
                    await self._handle(event)
                self._flush_soon()
                if self.e2ee_ready:
                    self._e2ee_event.set()
                else:
                    self._e2ee_event.clear()
        except Exception as exc:
            failed.append(exc)
            await ws.close(code=LOCAL_PROTOCOL_ERROR)

    async def _feed(self, item: _Inbound) -> None:
        lane = self._mls()
        if isinstance(item, bytes):
            if offloadable(item):  # ops 27/29/30: on the lane's thread when it has one
                call = self.gateway.begin_binary(item)
                await lane.offload(call.run, call.finish)
            else:
                await lane.run(partial(self.gateway.receive_binary, item))
            return
        parsed, now = item
        if carries_mls_work(parsed):
            await lane.run(partial(self.gateway.receive_json, parsed, now))
        else:
            self.gateway.receive_json(parsed, now)

    def _mls(self) -> MlsLane:
        if self._mls_lane is None:
            self._mls_lane = shared_lane()
        return self._mls_lane

    async def _handle(self, event: GatewayEvent) -> None:
        if isinstance(event, Ready):
            self._teardown_udp()
            self._udp = await open_voice_udp(event.ip, event.port)
            address, port = await self._udp.discover(event.ssrc)
            self.gateway.select_protocol(address, port)
        elif isinstance(event, SessionDescription):
            cipher = make_cipher(event.mode, event.secret_key)
            packetizer = RtpPacketizer(self.gateway.ssrc or 0, secrets.randbits(16), secrets.randbits(32))
            self._sender = FrameSender(packetizer, cipher, self.dave, secrets.randbits(32))
            self._up(resumed=False)
        elif isinstance(event, Resumed):
            self._up(resumed=True)
        elif isinstance(event, HeartbeatTimedOut):
            self._timed_out = True

    def _up(self, resumed: bool) -> None:
        self._ws_up = True
        self._reached_active = True
        # Register the SSRC as speaking now: Speaking on the WebSocket and the first RTP packet race otherwise.
        if not resumed or self._speaking:
            self._set_speaking(SPEAKING_MICROPHONE)
        self._connected_event.set()
        self._emit(VoiceConnected(resumed))

    async def _teardown_ws(self, code: int) -> None:
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            await ws.close(code=code)

    def _teardown_udp(self) -> None:
        udp, self._udp = self._udp, None
        self._sender = None if udp is not None else self._sender
        if udp is not None and udp.transport is not None:
            udp.transport.close()


def _log_task_result(task: asyncio.Task[object]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("voice task failed", exc_info=task.exception())
