"""Voice worker processes (issue 11): a RemoteVoiceLink drives a real VoiceConnection in a worker process."""

import asyncio
import os
import signal

import pytest

from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent
from lavalink_py.voice.workers import VoiceCredentialsSpec, VoiceWorkerPool, decode_frames, encode_frames
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, play, sweep

LISTENER = 444
TIMEOUT_S = 60.0


def spec_for(server: FakeVoiceServer) -> VoiceCredentialsSpec:
    return VoiceCredentialsSpec(server.guild_id, server.node_user_id, server.channel_id, server.session_id,
                                server.token, server.endpoint)


async def wait_until(predicate, timeout_s: float = TIMEOUT_S) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.02)


def test_frame_batches_round_trip_byte_for_byte() -> None:
    frames = [(1, b"\xf8\xff\xfe"), (70000, bytes(range(256)) * 3), (2, b"")]
    body = encode_frames(frames)[5:]
    assert decode_frames(body) == frames


@pytest.fixture
def trust_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers are spawned with the environment as it is at their start: they trust the fake's CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.mark.usefixtures("trust_fake")
async def test_two_workers_carry_players_the_listener_decodes() -> None:
    frames = encode_opus(sweep(1.0))
    pool = VoiceWorkerPool(2)
    events: dict[int, list[VoiceEvent]] = {1: [], 2: []}
    try:
        async with (
            FakeVoiceServer(guild_id=1, listener_ids=(LISTENER,)) as one,
            FakeVoiceServer(guild_id=2, listener_ids=(LISTENER,)) as two,
        ):
            links = [pool.link(spec_for(s), events[s.guild_id].append) for s in (one, two)]
            for link in links:
                link.start()
            await wait_until(lambda: all(link.ready_to_send for link in links))
            assert {id(link.worker) for link in links} == {id(w) for w in pool.workers()}  # one per worker
            assert len(pool.workers()) == 2

            def send_both(frame: bytes) -> None:
                for link in links:
                    link.send_frame(frame)

            await play(send_both, frames)
            for server in (one, two):
                await server.wait_for(lambda s=server: len(s.packets) >= len(frames), TIMEOUT_S)  # type: ignore[misc]
            for link in links:
                await link.close()
        for server in (one, two):
            listener = server.listeners[LISTENER]
            assert listener.dave_failures == 0 and listener.plain_frames == 0
            assert [f.opus for f in listener.frames] == frames  # every frame, in order, byte-identical
            assert server.sequence_errors() == []
            assert events[server.guild_id][0] == VoiceConnected(resumed=False)
        assert [link.frames_not_sent for link in links] == [0, 0]
    finally:
        await pool.close()


@pytest.mark.usefixtures("trust_fake")
async def test_a_killed_worker_is_replaced_and_its_player_reconnects() -> None:
    pool = VoiceWorkerPool(1)
    events: list[VoiceEvent] = []
    try:
        async with FakeVoiceServer(guild_id=7, listener_ids=(LISTENER,)) as server:
            link = pool.link(spec_for(server), events.append)
            link.start()
            await wait_until(lambda: link.ready_to_send)
            first = pool.workers()[0]
            await play(link.send_frame, encode_opus(sweep(0.2)))
            await wait_until(lambda: first.stats.packets_sent >= 10)  # the worker's once-a-second report
            os.kill(first.process.pid, signal.SIGKILL)
            await wait_until(lambda: events.count(VoiceConnected(resumed=False)) == 2 and link.ready_to_send)
            assert pool.restarts == 1
            assert pool.workers()[0] is not first
            assert events == [VoiceConnected(resumed=False), VoiceDisconnected(reason="voice worker process ended"),
                              VoiceConnected(resumed=False)]
            assert server.identifies == 2
            [slot] = pool.slot_stats()
            assert (slot.worker, slot.links, slot.restarts) == (0, 1, 1)
            assert slot.packets_sent >= 10 and slot.batches >= 1  # the ended process's counts are kept
            await link.close()
    finally:
        await pool.close()
