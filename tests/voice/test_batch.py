"""voice/batch.py, the worker's fused send loop: the packets it makes are the ones VoiceConnection.send_frame makes.

The fake decrypts every packet with the session's key (AES-GCM / XChaCha are deterministic for a key and nonce, and
authenticate header and nonce), so a packet that opens to the expected sequence, timestamp, nonce and frame is
byte-for-byte the packet the reference path would have built for them."""

import itertools
from typing import Any

import pytest

from lavalink_py.voice.batch import send_batch
from lavalink_py.voice.cipher import AES_GCM, XCHACHA
from lavalink_py.voice.dave import SILENCE_FRAME
from lavalink_py.voice.events import VoiceEvent
from lavalink_py.voice.workers import encode_frames
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, sweep
from tests.voice.harness import connect_to, timestamps_step

LISTENER = 444
LINK = 7


def send(_link_id: int, conn: Any, frame: bytes) -> None:
    conn.send_frame(frame)


def batch(frame: bytes, link_id: int = LINK) -> bytes:
    return encode_frames([(link_id, frame)])[5:]  # the FRAMES message's body, as the worker receives it


@pytest.mark.parametrize(("mode", "dave"), [(AES_GCM, 1), (XCHACHA, 1), (AES_GCM, 0)])
async def test_batches_and_send_frame_interleave_into_one_exact_stream(mode: str, dave: int) -> None:
    frames = encode_opus(sweep(0.6))
    frames[10] = SILENCE_FRAME  # passes DAVE in the clear, on both paths
    events: list[VoiceEvent] = []
    fake = FakeVoiceServer(modes=(mode,), dave_version=dave, listener_ids=(LISTENER,), decode_audio=False)
    async with fake as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_e2ee_ready(60)
            connections, lanes = {LINK: conn}, {}  # type: ignore[var-annotated]
            for index, frame in enumerate(frames):
                if index % 4 == 3:
                    conn.send_frame(frame)
                else:
                    send_batch(batch(frame) + batch(b"\x01", link_id=99), connections, lanes, (), send)  # 99: unknown
            await server.wait_for(lambda: len(server.packets) >= len(frames))
        finally:
            await conn.close()
    assert LINK in lanes  # the fused loop took the frames it could (the first goes through send_frame: Speaking)
    packets = server.packets
    assert [p.payload for p in packets if dave == 0] == ([] if dave else frames)
    if dave:
        listener = server.listeners[LISTENER]
        assert listener.dave_failures == 0
        assert [f.opus for f in listener.frames] == [f for f in frames if f != SILENCE_FRAME]
        assert listener.silence_frames == 1
    assert server.sequence_errors() == [] and server.timestamp_errors() == []
    assert timestamps_step([p.timestamp for p in packets]) == {960}
    assert {(b.nonce - a.nonce) % (1 << 32) for a, b in itertools.pairwise(packets)} == {1}
    assert conn.stats.packets_sent == len(frames) and conn.frames_not_sent == 0


async def test_a_link_not_ready_goes_through_send_frame_and_is_counted() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(listener_ids=(LISTENER,), decode_audio=False) as server:
        conn = connect_to(server, events)
        try:
            lanes = {}  # type: ignore[var-annotated]
            general: list[int] = []

            def record(link_id: int, c: Any, frame: bytes) -> None:
                general.append(link_id)
                c.send_frame(frame)

            send_batch(batch(b"\x01\x02\x03"), {LINK: conn}, lanes, (), record)  # not started: no session yet
            assert lanes == {} and conn.stats.frames_dropped == 1 and general == [LINK]
        finally:
            await conn.close()
