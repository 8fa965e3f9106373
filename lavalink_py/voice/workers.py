"""Voice worker processes (issue 11, "use every core"): the per-packet work of players off the API process.

  API process:  VoiceWorkerPool (started lazily at the first voice connection) -> N worker processes (spawn),
                one socketpair each. `RemoteVoiceLink` is the player's VoiceLink; its state (connected,
                ready_to_send, ping_ms, frames_not_sent) is mirrored from status messages the worker pushes on
                change, its events (VoiceConnected / VoiceDisconnected / WebSocketClosed) are forwarded in order.
  frames:       send_frame appends (link id, length, bytes) to its worker's batch; the first frame of a tick arms
                `loop.call_soon(flush)`, so a tick costs ONE write per worker (no pickle per frame).
  worker:       an asyncio loop hosting the real VoiceConnections (DAVE + RTP + AEAD + UDP) of its links; a frame
                batch is sent at once in a tight loop.
  worker death: its links are re-hosted on a fresh worker with the same credentials (a new Identify, as the
                in-process connection does after an unresumable close); the player sees VoiceConnected again.

This module imports only the standard library and voice.events at import time: the connection code (aiohttp,
davey, cryptography) is imported in the worker process only.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import multiprocessing
import os
import signal
import socket
import struct
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent, VoiceEventCallback, WebSocketClosed

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!IB")  # payload length, message type
_FRAME = struct.Struct("!IH")  # link id, frame length
# API -> worker
CONNECT, CLOSE, STOP_SPEAKING, FRAMES, QUIT = b"C"[0], b"X"[0], b"S"[0], b"F"[0], b"Q"[0]
# worker -> API
STATUS, EVENT, CLOSED, METRICS = b"T"[0], b"E"[0], b"D"[0], b"M"[0]
STATUS_POLL_S = 0.02
FULL_STATUS_EVERY = 10  # polls: every link's state every 200 ms, the moving ones every 20 ms
METRICS_EVERY_S = 1.0
CLOSE_TIMEOUT_S = 10.0
# Set to a path prefix: each worker profiles its frame batches (cProfile) and writes PREFIX.<pid> when it stops.
PROFILE_ENV = "LAVALINK_VOICE_WORKER_PROFILE"
SEND_ENV = "LAVALINK_VOICE_WORKER_SEND"  # "each": the reference loop (send_frame per frame), for bench comparisons
# A worker that could not start: the player hears it as a voice WebSocket closed by us with 1011 ("internal
# error", RFC 6455) and its connection given up, as after a final close code; its next voice update tries again.
WORKER_FAILED_CODE = 1011
# Workers of one link that ended before its connection was ready again: past this it is a crash loop (the worker
# dies of this link), not a fault to ride out, and the link fails as when its worker cannot start.
MAX_REHOSTS = 3
# Frames already on their way when the worker's connection stopped being ready (a reconnect, a DAVE transition),
# before the API process's mirror said so: kept and sent once it is ready again, as the player itself holds frames
# in-process. More than a second of them means the mirror is far behind: the oldest count as not sent.
HELD_FRAMES_MAX = 50


def _message(kind: int, payload: bytes) -> bytes:
    return _HEADER.pack(len(payload), kind) + payload


def _json(kind: int, value: Any) -> bytes:
    return _message(kind, json.dumps(value, separators=(",", ":")).encode())


def encode_frames(frames: list[tuple[int, bytes]]) -> bytes:
    """One FRAMES message: (link id, frame) pairs in order."""
    body = b"".join(_FRAME.pack(link_id, len(frame)) + frame for link_id, frame in frames)
    return _message(FRAMES, body)


def decode_frames(body: bytes | memoryview) -> list[tuple[int, bytes]]:
    view = memoryview(body)
    out: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(view):
        link_id, length = _FRAME.unpack_from(view, offset)
        offset += _FRAME.size
        out.append((link_id, bytes(view[offset : offset + length])))
        offset += length
    return out


async def _read_message(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    header = await reader.readexactly(_HEADER.size)
    length, kind = _HEADER.unpack(header)
    return kind, await reader.readexactly(length)


def _event_to_json(link_id: int, event: VoiceEvent) -> dict[str, Any]:
    if isinstance(event, VoiceConnected):
        return {"id": link_id, "kind": "connected", "resumed": event.resumed}
    if isinstance(event, VoiceDisconnected):
        return {"id": link_id, "kind": "disconnected", "reason": event.reason}
    return {"id": link_id, "kind": "closed", "code": event.code, "reason": event.reason, "byRemote": event.by_remote,
            "final": event.final}


def _event_from_json(value: dict[str, Any]) -> VoiceEvent:
    kind = value["kind"]
    if kind == "connected":
        return VoiceConnected(resumed=bool(value["resumed"]))
    if kind == "disconnected":
        return VoiceDisconnected(reason=str(value["reason"]))
    return WebSocketClosed(code=int(value["code"]), reason=str(value["reason"]), by_remote=bool(value["byRemote"]),
                           final=bool(value["final"]))


# -- API process --------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class VoiceCredentialsSpec:
    guild_id: int
    user_id: int
    channel_id: int
    session_id: str
    token: str
    endpoint: str

    def as_json(self) -> dict[str, Any]:
        return {
            "guild": self.guild_id, "user": self.user_id, "channel": self.channel_id,
            "session": self.session_id, "token": self.token, "endpoint": self.endpoint,
        }


class RemoteVoiceLink:
    """A VoiceLink whose VoiceConnection lives in a worker process."""

    def __init__(self, pool: VoiceWorkerPool, link_id: int, spec: VoiceCredentialsSpec, on_event: VoiceEventCallback):
        self._pool = pool
        self.link_id = link_id
        self.spec = spec
        self._on_event = on_event
        self.worker: _Worker | None = None
        self.slot: int | None = None  # the pool's worker index it is assigned to
        self.connected = False
        self.ready_to_send = False
        self.ping_ms = -1
        self._not_sent_before = 0  # frames lost on workers that died
        self.rehosts = 0  # its workers that ended since it was last ready to send
        self._not_sent = 0
        self._closed: asyncio.Future[None] | None = None
        self._started = False
        self._closing = False

    @property
    def frames_not_sent(self) -> int:
        return self._not_sent_before + self._not_sent

    @property
    def closing(self) -> bool:
        return self._closing

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._pool.host(self)

    def send_frame(self, frame: bytes) -> None:
        worker = self.worker
        if worker is None or not self.ready_to_send:
            self._not_sent += 1
            return
        worker.queue_frame(self.link_id, frame)

    def stop_speaking(self) -> None:
        if self.worker is not None:
            self.worker.flush()  # the frames before it go first
            self.worker.write(_message(STOP_SPEAKING, struct.pack("!I", self.link_id)))

    async def close(self) -> None:
        self._closing = True
        worker = self.worker
        if worker is None or not worker.alive:
            self._pool.forget(self)
            return
        self._closed = asyncio.get_running_loop().create_future()
        worker.flush()
        worker.write(_json(CLOSE, {"id": self.link_id}))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._closed), CLOSE_TIMEOUT_S)
        self._pool.forget(self)

    # -- from the worker --
    def _status(self, value: dict[str, Any]) -> None:
        self.connected = bool(value["connected"])
        self.ready_to_send = bool(value["ready"])
        self.ping_ms = int(value["ping"])
        self._not_sent = int(value["notSent"])
        if self.ready_to_send:
            self.rehosts = 0

    def _event(self, event: VoiceEvent) -> None:
        if not self._closing:
            self._on_event(event)

    def _acknowledged_close(self) -> None:
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def _failed(self, reason: str) -> None:
        self._event(WebSocketClosed(code=WORKER_FAILED_CODE, reason=reason, by_remote=False, final=True))
        self._event(VoiceDisconnected(reason=reason))

    def _worker_lost(self) -> None:
        self._not_sent_before += self._not_sent
        self._not_sent = 0
        self.connected = self.ready_to_send = False
        self.ping_ms = -1
        self.worker = None
        self._acknowledged_close()


@dataclass(slots=True)
class WorkerStats:
    packets_sent: int = 0
    batches: int = 0
    cpu_s: float = 0.0
    send_cpu_s: float = 0.0
    status_cpu_s: float = 0.0


@dataclass(eq=False)
class _Worker:
    index: int
    process: Any
    writer: asyncio.StreamWriter
    links: dict[int, RemoteVoiceLink] = field(default_factory=dict)
    stats: WorkerStats = field(default_factory=WorkerStats)
    alive: bool = True
    batches_sent: int = 0
    _pending: list[bytes] = field(default_factory=list)
    _armed: bool = False

    def write(self, data: bytes) -> None:
        if self.alive:
            self.writer.write(data)

    def queue_frame(self, link_id: int, frame: bytes) -> None:
        self._pending.append(_FRAME.pack(link_id, len(frame)))
        self._pending.append(frame)
        if not self._armed:
            self._armed = True
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        self._armed = False
        if self._pending:
            body = b"".join(self._pending)
            self._pending.clear()
            self.batches_sent += 1
            self.write(_message(FRAMES, body))


@dataclass(frozen=True, slots=True)
class SlotStats:
    """One worker slot as /metrics reads it: its counters add up over the processes that held the slot."""

    worker: int
    links: int
    packets_sent: int
    batches: int
    cpu_s: float
    restarts: int


class VoiceWorkerPool:
    """N voice worker processes, started at the first connection; links go to the least-loaded worker."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a voice worker pool needs at least one worker")
        self.size = size
        self._workers: list[_Worker | None] = [None] * size
        self._load = [0] * size  # links assigned per worker slot
        self._starting: dict[int, asyncio.Task[_Worker]] = {}
        self._ids = 0
        self._links: dict[int, RemoteVoiceLink] = {}
        self._readers: set[asyncio.Task[None]] = set()
        self._closing = False
        self.restarts = 0
        self._slot_restarts = [0] * size
        self._slot_before = [WorkerStats() for _ in range(size)]  # what the slot's ended processes reported

    def slot_stats(self) -> list[SlotStats]:
        out = []
        for index in range(self.size):
            before, worker = self._slot_before[index], self._workers[index]
            now = worker.stats if worker is not None else WorkerStats()
            out.append(SlotStats(
                index, self._load[index], before.packets_sent + now.packets_sent, before.batches + now.batches,
                before.cpu_s + now.cpu_s, self._slot_restarts[index],
            ))
        return out

    def link(self, spec: VoiceCredentialsSpec, on_event: VoiceEventCallback) -> RemoteVoiceLink:
        self._ids += 1
        link = RemoteVoiceLink(self, self._ids, spec, on_event)
        self._links[link.link_id] = link
        return link

    def workers(self) -> list[_Worker]:
        return [w for w in self._workers if w is not None and w.alive]

    def host(self, link: RemoteVoiceLink) -> None:
        # Chosen now, not after the worker has started: links started together spread over the workers.
        index = min(range(self.size), key=self._load.__getitem__)
        self._load[index] += 1
        link.slot = index
        task = asyncio.get_running_loop().create_task(self._host(link, index), name=f"voice-worker-host-{link.link_id}")
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)

    async def _host(self, link: RemoteVoiceLink, index: int) -> None:
        if self._closing or link._closing:
            return
        try:
            worker = await self._worker(index)
        except Exception as error:  # whatever stopped the spawn (no fork, no memory), the player hears of it
            log.error("voice worker %d could not start: %r", index, error)
            self._unassign(link)
            link._failed(f"voice worker process could not start: {error}")
            return
        if link.closing:  # closed while the worker started
            return
        link.worker = worker
        worker.links[link.link_id] = link
        worker.write(_json(CONNECT, {"id": link.link_id, **link.spec.as_json()}))

    def forget(self, link: RemoteVoiceLink) -> None:
        self._links.pop(link.link_id, None)
        self._unassign(link)
        if link.worker is not None:
            link.worker.links.pop(link.link_id, None)
            link.worker = None

    def _unassign(self, link: RemoteVoiceLink) -> None:
        if link.slot is not None:
            self._load[link.slot] -= 1
            link.slot = None

    async def _worker(self, index: int) -> _Worker:
        worker = self._workers[index]
        if worker is not None and worker.alive:
            return worker
        task = self._starting.get(index)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._spawn(index))
            self._starting[index] = task
            task.add_done_callback(lambda _t: self._starting.pop(index, None))
        return await asyncio.shield(task)

    async def _spawn(self, index: int) -> _Worker:
        parent, child = socket.socketpair()
        context = multiprocessing.get_context("spawn")
        process = context.Process(target=worker_main, args=(child,), name=f"voice-worker-{index}", daemon=True)
        try:
            await asyncio.to_thread(process.start)
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        reader, writer = await asyncio.open_connection(sock=parent)
        worker = _Worker(index, process, writer)
        self._workers[index] = worker
        task = asyncio.get_running_loop().create_task(self._read(worker, reader), name=f"voice-worker-{index}-reader")
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return worker

    def _warm_up(self) -> None:
        """The other slots' workers, started once one worker is serving (its first message): a later connection
        (a second player, a reconnect after a final close) then finds a worker up instead of waiting a spawn's
        seconds of imports, and the first player's own spawn had both cores to itself."""
        for index in range(self.size):
            if self._workers[index] is None and index not in self._starting and not self._closing:
                task = asyncio.get_running_loop().create_task(self._start_spare(index))
                self._readers.add(task)
                task.add_done_callback(self._readers.discard)

    async def _start_spare(self, index: int) -> None:
        try:
            await self._worker(index)
        except Exception as error:  # the link that needs it will try again, and report it
            log.warning("voice worker %d could not start ahead of use: %r", index, error)

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            kind, body = await _read_message(reader)
            self._warm_up()
            while True:
                if kind == STATUS:
                    for value in json.loads(body):
                        if (link := worker.links.get(value["id"])) is not None:
                            link._status(value)
                elif kind == EVENT:
                    value = json.loads(body)
                    if (link := worker.links.get(value["id"])) is not None:
                        link._event(_event_from_json(value))
                elif kind == CLOSED:
                    value = json.loads(body)
                    if (link := worker.links.pop(value["id"], None)) is not None:
                        link._acknowledged_close()
                elif kind == METRICS:
                    value = json.loads(body)
                    worker.stats = WorkerStats(
                        int(value["packets"]), int(value["batches"]), float(value["cpu"]), float(value["sendCpu"]),
                        float(value["statusCpu"]),
                    )
                kind, body = await _read_message(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        worker.alive = False
        with contextlib.suppress(Exception):
            worker.writer.close()
        if self._workers[worker.index] is worker:
            self._workers[worker.index] = None
        before, ended = self._slot_before[worker.index], worker.stats
        self._slot_before[worker.index] = WorkerStats(
            before.packets_sent + ended.packets_sent, before.batches + ended.batches, before.cpu_s + ended.cpu_s
        )
        orphans = list(worker.links.values())
        worker.links.clear()
        for link in orphans:
            link._worker_lost()
            self._unassign(link)
        if self._closing:
            return
        log.warning("voice worker %d ended (exit code %s); re-hosting %d links", worker.index,
                    worker.process.exitcode, len(orphans))
        self.restarts += 1
        self._slot_restarts[worker.index] += 1
        for link in orphans:
            if link._closing:
                continue
            link.rehosts += 1
            if link.rehosts > MAX_REHOSTS:
                log.error("voice link %d: %d voice workers ended before it was up; giving up", link.link_id,
                          link.rehosts)
                link._failed(f"voice worker process ended {link.rehosts} times before the connection was up")
            else:
                link._event(VoiceDisconnected(reason="voice worker process ended"))
                self.host(link)

    async def close(self) -> None:
        """Stops every worker (their connections close with 1000) and waits for them to exit."""
        self._closing = True
        for task in list(self._starting.values()):
            with contextlib.suppress(Exception):
                await task
        for worker in self.workers():
            worker.flush()
            worker.write(_message(QUIT, b""))
        for worker in [w for w in self._workers if w is not None]:
            await asyncio.to_thread(worker.process.join, CLOSE_TIMEOUT_S)
            if worker.process.is_alive():
                worker.process.kill()
                await asyncio.to_thread(worker.process.join, CLOSE_TIMEOUT_S)
        for reader in list(self._readers):
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


# -- worker process -----------------------------------------------------------------------------------------------


def worker_main(sock: socket.socket) -> None:
    """A worker process's entry point: serve the API process over `sock` until it quits or goes away."""
    # A signal to the node's process group (Ctrl-C in a terminal, systemd's stop) is the node's to handle: it closes
    # its players, then quits its workers. A worker that died of the signal first was re-hosted mid-shutdown. A
    # worker still ends with the node however it ends: QUIT, or the socket's EOF when the node was killed.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    asyncio.run(_serve(sock))


class _WorkerServer:
    """The worker's side: VoiceConnections by link id, status pushed on change, metrics every second."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        import ssl

        from lavalink_py.voice.batch import send_batch, send_batch_each

        self.send_batch = send_batch_each if os.environ.get(SEND_ENV) == "each" else send_batch
        self.writer = writer
        self.tls = ssl.create_default_context()  # SSL_CERT_FILE as the API process had it at spawn
        self.connections: dict[int, Any] = {}
        self.lanes: dict[int, Any] = {}  # voice/batch.py's per-link parts, by link id
        self.reported: dict[int, tuple[bool, bool, int, int]] = {}
        self.watched: set[int] = set()  # links not ready to send: their state is read at every poll
        self.fallbacks: set[int] = set()  # links whose frames went through send_frame since the last poll
        self.held: dict[int, deque[bytes | None]] = {}  # None: stop speaking there
        self.dropped: dict[int, int] = {}  # held frames given up (HELD_FRAMES_MAX), per link
        self.batches = 0
        self.send_cpu_s = 0.0  # thread CPU inside frames(): the per-packet work alone
        self.status_cpu_s = 0.0  # thread CPU of the status polls (every link's state, every 20 ms)
        self.tasks: set[asyncio.Task[None]] = set()
        self.profile: Any = None
        if os.environ.get(PROFILE_ENV):
            import cProfile

            self.profile = cProfile.Profile()

    def emit(self, link_id: int, event: VoiceEvent) -> None:
        self.push_status((link_id,))  # the state the event describes arrives first
        self.writer.write(_json(EVENT, _event_to_json(link_id, event)))

    def push_status(self, link_ids: Iterable[int] | None = None) -> None:
        """The state of `link_ids` (default: every link) where it changed since it was last pushed."""
        changed = []
        connections, reported, watched = self.connections, self.reported, self.watched
        for link_id in connections if link_ids is None else link_ids:
            if (conn := connections.get(link_id)) is None:
                continue
            state = (conn.connected, conn.ready_to_send, conn.ping_ms,
                     conn.frames_not_sent + self.dropped.get(link_id, 0))
            if reported.get(link_id) != state:
                reported[link_id] = state
                changed.append({"id": link_id, "connected": state[0], "ready": state[1], "ping": state[2],
                                "notSent": state[3]})
            if state[1]:
                watched.discard(link_id)
            else:
                watched.add(link_id)
        if changed:
            self.writer.write(_json(STATUS, changed))

    def poll_status(self, polls: int) -> None:
        """Every poll: the links not ready to send and those whose last frame needed the general path (their
        state is moving: the API side holds frames until it sees them ready); every FULL_STATUS_EVERY-th poll: all
        (ping, frames not sent, a link that stopped being ready). Reading 1,000 links' state every 20 ms cost the
        worker as much as a third of its sending (bench/voice.py, worker_status_us_per_packet_cpu)."""
        if polls % FULL_STATUS_EVERY == 0:
            self.push_status()
        else:
            self.push_status(self.watched | self.fallbacks)
        self.fallbacks.clear()

    async def poll(self) -> None:
        last_metrics = 0.0
        for polls in itertools.count(1):
            await asyncio.sleep(STATUS_POLL_S)
            began = time.thread_time()
            if self.profile is not None:
                self.profile.enable()
            for link_id in list(self.held):
                self.release(link_id)
            self.poll_status(polls)
            if self.profile is not None:
                self.profile.disable()
            self.status_cpu_s += time.thread_time() - began
            now = time.monotonic()
            if now - last_metrics >= METRICS_EVERY_S:
                last_metrics = now
                packets = sum(c.stats.packets_sent for c in self.connections.values())
                self.writer.write(
                    _json(METRICS, {"packets": packets, "batches": self.batches, "cpu": time.process_time(),
                                    "sendCpu": self.send_cpu_s, "statusCpu": self.status_cpu_s})
                )

    def frames(self, body: bytes) -> None:
        """Every frame of one tick, sent at once."""
        began = time.thread_time()
        if self.profile is not None:
            self.profile.enable()
        self.batches += 1
        self.send_batch(body, self.connections, self.lanes, self.held, self.general)  # voice/batch.py: one loop
        if self.profile is not None:
            self.profile.disable()
        self.send_cpu_s += time.thread_time() - began

    def general(self, link_id: int, conn: Any, frame: bytes) -> None:
        """A frame the batch loop's lane could not take: sent by send_frame, or held while the link is not ready
        (or has frames held before it); its state is read at the next poll."""
        self.fallbacks.add(link_id)
        if link_id not in self.held and conn.ready_to_send:
            conn.send_frame(frame)
        else:
            self.hold(link_id, frame)

    def hold(self, link_id: int, frame: bytes | None) -> None:
        held = self.held.setdefault(link_id, deque())
        held.append(frame)
        if len(held) > HELD_FRAMES_MAX and held.popleft() is not None:
            self.dropped[link_id] = self.dropped.get(link_id, 0) + 1
        self.release(link_id)

    def release(self, link_id: int) -> None:
        """The held frames, in order, once the connection is ready again (they precede any frame after them)."""
        conn = self.connections.get(link_id)
        if conn is None:
            self.held.pop(link_id, None)
        elif conn.ready_to_send:
            for frame in self.held.pop(link_id, ()):
                if frame is None:
                    conn.stop_speaking()
                else:
                    conn.send_frame(frame)

    def connect(self, v: dict[str, Any]) -> None:
        from lavalink_py.voice.connection import VoiceConnection

        link_id = int(v["id"])

        def on_event(event: VoiceEvent) -> None:
            self.emit(link_id, event)

        conn = VoiceConnection(
            guild_id=int(v["guild"]), user_id=int(v["user"]), channel_id=int(v["channel"]),
            session_id=v["session"], token=v["token"], endpoint=v["endpoint"], on_event=on_event,
            ssl_context=self.tls,
        )
        self.connections[link_id] = conn
        self.watched.add(link_id)
        conn.start()

    def stop_speaking(self, body: bytes) -> None:
        (link_id,) = struct.unpack("!I", body)
        if link_id in self.held:
            self.hold(link_id, None)  # after the frames still held, not before them
        elif (conn := self.connections.get(link_id)) is not None:
            conn.stop_speaking()

    def close(self, link_id: int) -> None:
        task = asyncio.get_running_loop().create_task(self._close(link_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _close(self, link_id: int) -> None:
        conn = self.connections.pop(link_id, None)
        self.reported.pop(link_id, None)
        self.lanes.pop(link_id, None)
        self.watched.discard(link_id)
        self.held.pop(link_id, None)
        self.dropped.pop(link_id, None)
        if conn is not None:
            await conn.close()
        self.writer.write(_json(CLOSED, {"id": link_id}))

    async def stop(self) -> None:
        if self.profile is not None:
            self.profile.dump_stats(f"{os.environ[PROFILE_ENV]}.{os.getpid()}")
        await asyncio.gather(*(c.close() for c in self.connections.values()), *self.tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            self.writer.close()


async def _serve(sock: socket.socket) -> None:
    # The connection code (aiohttp, davey, cryptography) loads here, in the worker, never in the API process.
    import lavalink_py.voice.connection  # noqa: F401

    reader, writer = await asyncio.open_connection(sock=sock)
    server = _WorkerServer(writer)
    poller = asyncio.get_running_loop().create_task(server.poll())
    try:
        while True:
            try:
                kind, body = await _read_message(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            if kind == FRAMES:
                server.frames(body)
            elif kind == CONNECT:
                server.connect(json.loads(body))
            elif kind == STOP_SPEAKING:
                server.stop_speaking(body)
            elif kind == CLOSE:
                server.close(int(json.loads(body)["id"]))
            elif kind == QUIT:
                break
    finally:
        poller.cancel()
        await server.stop()
    os._exit(0)  # the MLS lane's thread and the like: nothing of the worker outlives its loop
