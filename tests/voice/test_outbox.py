"""The prepared-packet path (voice/outbox.py) against the per-packet path, at the bytes a receiver gets.

Two real VoiceConnections with the same keys and counters send to two real UDP sockets on 127.0.0.1: one sends
each frame at once, the other through a PacketOutbox (built at send_frame, sent at the flush). Across a pause, a
new session (SSRC and keys), a DAVE transition and a reconnect (UDP torn down, then a new session), the receivers
must get the same datagrams, byte for byte, and the connections count the same losses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from lavalink_py.voice.cipher import AES_GCM, XCHACHA, make_cipher
from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.dave import OP_PREPARE_TRANSITION, SILENCE_FRAME
from lavalink_py.voice.outbox import PacketOutbox
from lavalink_py.voice.rtp import RtpPacketizer
from lavalink_py.voice.sender import FrameSender
from lavalink_py.voice.udp import open_voice_udp

NODE, CHANNEL = 11, 33
KEYS = (bytes(range(32)), bytes(range(32, 64)))


@asynccontextmanager
async def wired(outbox: PacketOutbox | None) -> AsyncIterator[tuple[VoiceConnection, socket.socket]]:
    """A connection whose session is up on a real UDP socket aimed at `receiver` (no gateway: set by hand)."""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    connection = VoiceConnection(
        guild_id=1, user_id=NODE, channel_id=CHANNEL, session_id="s", token="t", endpoint="127.0.0.1:1",
        on_event=lambda _event: None, max_dave_protocol_version=1, outbox=outbox,
    )
    connection._udp = await open_voice_udp(*receiver.getsockname())
    try:
        yield connection, receiver
    finally:
        await connection.close()
        receiver.close()


def new_session(connection: VoiceConnection, mode: str, key: bytes, ssrc: int) -> None:
    """What a SessionDescription does, with fixed counters so both connections start alike."""
    connection._sender = FrameSender(RtpPacketizer(ssrc, 0xFFFE, 0xFFFFFC40), make_cipher(mode, key), connection.dave,
                                     0xFFFFFFFF)


def dave_version(connection: VoiceConnection, version: int) -> None:
    # An op 21 with transition id 0 executes at once: 1 = DAVE required (no group here, so audio is withheld).
    connection.dave.receive_json(OP_PREPARE_TRANSITION, {"transition_id": 0, "protocol_version": version})


async def received(receiver: socket.socket, count: int) -> list[bytes]:
    loop = asyncio.get_running_loop()
    return [await asyncio.wait_for(loop.sock_recv(receiver, 4096), 30) for _ in range(count)]


@pytest.mark.parametrize("mode", [AES_GCM, XCHACHA])
async def test_prepared_packets_are_the_per_packet_path_s_bytes(mode: str) -> None:
    frames = [bytes([i]) * (40 + i) for i in range(12)]
    outbox = PacketOutbox()
    async with AsyncExitStack() as stack:
        now, now_rx = await stack.enter_async_context(wired(None))
        later, later_rx = await stack.enter_async_context(wired(outbox))
        both = (now, later)
        for c in both:
            new_session(c, mode, KEYS[0], 9)

        def step(frame: bytes, change: object = None) -> None:
            """One tick: the prepared path builds at the tick, `change` happens, its flush sends at the next tick;
            the per-packet path, sending at that next tick, sees the change first."""
            later.send_frame(frame)
            if callable(change):
                change(now)
                change(later)
            now.send_frame(frame)
            outbox.flush()

        for frame in frames[:3]:  # sequence, timestamp and nonce wrap here
            step(frame)
        # A pause: the frame built for the next tick leaves at once, ahead of the silence (cancelled by the next
        # frame before it runs, on both).
        for c in both:
            c.send_frame(frames[3])
            c.stop_speaking()
        assert later.stats.packets_sent == now.stats.packets_sent  # sent by stop_speaking, not left for the flush
        outbox.flush()  # sends nothing more
        step(frames[4])
        step(frames[5], lambda c: new_session(c, mode, KEYS[1], 10))  # a new Identify: new SSRC and keys
        step(frames[6])
        step(frames[7], lambda c: dave_version(c, 1))  # built as plain Opus, due after DAVE became required
        step(SILENCE_FRAME)
        step(frames[8], lambda c: dave_version(c, 0))
        step(frames[9])
        # The session goes away after frames[10] was built: kept, not lost (the per-packet path's player would
        # have kept it in its buffer), and sent on the next session ahead of the frame after it.
        later.send_frame(frames[10])
        for c in both:
            c._teardown_udp()
        outbox.flush()
        assert later.stats.packets_sent == now.stats.packets_sent
        for c, rx in ((now, now_rx), (later, later_rx)):
            c._udp = await open_voice_udp(*rx.getsockname())
            new_session(c, mode, KEYS[0], 11)
        now.send_frame(frames[10])
        step(frames[11])
        assert now.stats == later.stats
        assert now.stats.frames_withheld == 1 and now.stats.frames_dropped == 0
        sent = now.stats.packets_sent
        assert sent == 12
        assert await received(later_rx, sent) == await received(now_rx, sent)
        assert len(outbox) == 0


async def test_a_closed_connection_sends_nothing_it_prepared() -> None:
    outbox = PacketOutbox()
    async with wired(outbox) as (connection, receiver):
        new_session(connection, AES_GCM, KEYS[0], 9)
        connection.send_frame(b"opus")
        await connection.close()
        outbox.flush()
        assert connection.stats.packets_sent == 0
        with pytest.raises(BlockingIOError):
            receiver.recv(4096)


class Failing:
    def send_prepared(self) -> None:
        raise RuntimeError("bug in one connection")


async def test_one_failing_connection_does_not_cost_the_others_their_packet() -> None:
    outbox = PacketOutbox()
    async with wired(outbox) as (connection, receiver):
        new_session(connection, AES_GCM, KEYS[0], 9)
        outbox.add(Failing())
        connection.send_frame(b"opus")
        outbox.flush()
        assert connection.stats.packets_sent == 1
        assert len((await received(receiver, 1))[0]) > 0
