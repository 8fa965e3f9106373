"""Voice worker processes (issue 11): a RemoteVoiceLink drives a real VoiceConnection in a worker process."""

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator

import pytest

from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent, WebSocketClosed
from lavalink_py.voice.workers import (
    MAX_REHOSTS,
    WORKER_FAILED_CODE,
    RemoteVoiceLink,
    VoiceCredentialsSpec,
    VoiceWorkerPool,
    decode_frames,
    encode_frames,
)
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


@contextlib.asynccontextmanager
async def one_ready_link() -> AsyncIterator[tuple[VoiceWorkerPool, FakeVoiceServer, RemoteVoiceLink, list[VoiceEvent]]]:
    """One worker, one fake voice server with a listener, and a link to it that is ready to send; the link's
    events in order."""
    pool = VoiceWorkerPool(1)
    events: list[VoiceEvent] = []
    try:
        async with FakeVoiceServer(guild_id=7, listener_ids=(LISTENER,)) as server:
            link = pool.link(spec_for(server), events.append)
            link.start()
            await wait_until(lambda: link.ready_to_send)
            yield pool, server, link, events
            await link.close()
    finally:
        await pool.close()


@pytest.mark.usefixtures("trust_fake")
async def test_a_killed_worker_is_replaced_and_its_player_reconnects() -> None:
    async with one_ready_link() as (pool, server, link, events):
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


@pytest.mark.usefixtures("trust_fake")
async def test_a_final_close_says_so_before_the_disconnect_that_follows_it() -> None:
    """A worker's 4014 reaches the owner as WebSocketClosed(final=True) and then VoiceDisconnected: two IPC
    messages, so the owner must know from the first that no reconnect follows (a client may answer it with the
    same voice update before the second arrives; that must connect anew)."""
    async with one_ready_link() as (_pool, server, _link, events):
        await server.close_websocket(4014, "Disconnected")
        await wait_until(lambda: isinstance(events[-1], VoiceDisconnected))
        assert events == [VoiceConnected(resumed=False), WebSocketClosed(4014, "Disconnected", True, final=True),
                          VoiceDisconnected(reason="Disconnected")]


async def test_a_link_whose_workers_keep_dying_before_it_is_up_gives_up_with_1011() -> None:
    """A crash loop (every worker the link gets dies before its connection is up) ends after MAX_REHOSTS
    re-hosts, with the event a worker that cannot start gives, instead of spawning workers for ever."""

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(TIMEOUT_S)  # a voice server that accepts and never answers: never ready
        writer.close()

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    pool = VoiceWorkerPool(1)
    events: list[VoiceEvent] = []
    try:
        link = pool.link(VoiceCredentialsSpec(7, 1, 2, "session", "token", f"127.0.0.1:{port}"), events.append)
        link.start()
        killed: list[int] = []
        for _ in range(MAX_REHOSTS + 1):
            await wait_until(lambda: bool(pool.workers()) and pool.workers()[0].process.pid not in killed)
            pid = pool.workers()[0].process.pid
            killed.append(pid)
            os.kill(pid, signal.SIGKILL)
        await wait_until(lambda: any(isinstance(e, WebSocketClosed) for e in events))
        assert events == [VoiceDisconnected(reason="voice worker process ended")] * MAX_REHOSTS + [
            WebSocketClosed(WORKER_FAILED_CODE, f"voice worker process ended {MAX_REHOSTS + 1} times before the "
                            "connection was up", by_remote=False, final=True),
            VoiceDisconnected(reason=f"voice worker process ended {MAX_REHOSTS + 1} times before the connection "
                              "was up"),
        ]
        assert pool.restarts == MAX_REHOSTS + 1
        assert pool.workers() == []  # no worker started for it again
        await link.close()
    finally:
        await pool.close()
        silent.close()


@pytest.mark.usefixtures("trust_fake")
async def test_the_other_workers_start_once_the_first_serves() -> None:
    """One player starts one worker; the others follow once it serves, so a later connection waits for none."""
    pool = VoiceWorkerPool(2)
    try:
        async with FakeVoiceServer(guild_id=3, listener_ids=(LISTENER,)) as server:
            first = pool.link(spec_for(server), lambda _e: None)
            first.start()
            await wait_until(lambda: first.ready_to_send and len(pool.workers()) == 2)
            await first.close()
    finally:
        await pool.close()
