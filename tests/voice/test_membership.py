"""DAVE group changes mid-stream, as the fake gateway runs them (section 5.3 of the reference)."""

import asyncio

from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.events import VoiceEvent
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, play, snr_db, sweep
from tests.voice.harness import connect_to

A, B = 501, 502
TRANSITION_FRAMES = 5  # frames a newcomer may miss between its Welcome and the node applying the commit


async def start(server: FakeVoiceServer, events: list[VoiceEvent]) -> VoiceConnection:
    conn = connect_to(server, events)
    await conn.wait_connected(10)
    await server.wait_for(lambda: bool(server.group.executed))
    return conn


async def test_listener_joins_and_leaves_mid_stream() -> None:
    reference = sweep(3.0)
    frames = encode_opus(reference)
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = await start(server, [])
        try:
            playing = asyncio.create_task(play(conn.send_frame, frames))
            await server.wait_for(lambda: len(server.packets) >= 40)
            before_b = len(server.packets)
            await server.add_listener(B)
            await server.wait_for(lambda: server.listeners[B].joined and len(server.group.executed) == 2)
            await server.wait_for(lambda: len(server.packets) >= 100)
            await server.remove_listener(A)
            await server.wait_for(lambda: len(server.group.executed) == 3)
            await playing
            await server.wait_for(lambda: len(server.packets) >= len(frames))
        finally:
            await conn.close()
    assert server.group.epoch == 3
    assert server.sequence_errors() == []
    assert server.timestamp_errors() == []
    b = server.listeners[B]
    assert b.dave_failures <= TRANSITION_FRAMES
    first_b = b.frames[0].sequence
    expected_b = [p.sequence for p in server.packets if (p.sequence - first_b) % 65536 < 32768]
    assert [f.sequence for f in b.frames] == expected_b  # nothing lost after the transition, epoch 3 included
    # Every packet since B was added: before its Welcome (how long the join takes is the machine's load: the
    # node's commit comes from the MLS lane's thread), in the transition, or decrypted.
    assert len(b.frames) + b.missed_before_join + b.dave_failures == len(server.packets) - before_b
    assert snr_db(reference, b.pcm()) >= 25


async def test_last_listener_leaving_resets_the_group_and_withholds_frames() -> None:
    frames = encode_opus(sweep(1.0))
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = await start(server, [])
        try:
            await server.remove_listener(A)
            await server.wait_for(lambda: server.group.node_key_package is not None and not conn.dave.ready)
            sent_before = len(server.packets)
            await play(conn.send_frame, frames[:10])
            assert conn.stats.frames_withheld == 10
            assert len(server.packets) == sent_before  # never plain Opus while DAVE is required
            await server.add_listener(B)
            await server.wait_for(lambda: len(server.group.executed) == 2)
            await play(conn.send_frame, frames[10:])
            await server.wait_for(lambda: len(server.listeners[B].frames) >= len(frames) - 10)
        finally:
            await conn.close()
    assert server.listeners[B].dave_failures == 0


async def test_force_new_epoch_keeps_existing_listener_whole() -> None:
    frames = encode_opus(sweep(1.5))
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = await start(server, [])
        try:
            playing = asyncio.create_task(play(conn.send_frame, frames))
            await server.wait_for(lambda: len(server.packets) >= 20)
            await server.force_new_epoch()
            await server.wait_for(lambda: len(server.group.executed) == 2)
            await playing
            await server.wait_for(lambda: len(server.listeners[A].frames) >= len(frames))
        finally:
            await conn.close()
    a = server.listeners[A]
    assert a.dave_failures == 0
    assert [f.opus for f in a.frames] == frames


async def test_invalid_commit_recovery_rejoins_and_audio_continues() -> None:
    frames = encode_opus(sweep(1.5))
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = await start(server, [])
        try:
            playing = asyncio.create_task(play(conn.send_frame, frames))
            await server.wait_for(lambda: len(server.packets) >= 20)
            await server.inject_invalid_commit()
            await server.wait_for(lambda: bool(server.group.invalid_reports) and len(server.group.executed) == 2)
            await playing
            await server.wait_for(lambda: len(server.packets) >= len(frames) - conn.stats.frames_withheld)
        finally:
            await conn.close()
    a = server.listeners[A]
    assert conn.dave.stats.recoveries == 1
    assert a.plain_frames == 0
    assert a.dave_failures <= TRANSITION_FRAMES
    assert a.frames[-1].opus == frames[-1]


async def test_downgrade_transition_switches_to_plain_opus_without_loss() -> None:
    frames = encode_opus(sweep(1.5))
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = await start(server, [])
        try:
            playing = asyncio.create_task(play(conn.send_frame, frames))
            await server.wait_for(lambda: len(server.packets) >= 20)
            await server.downgrade()
            await server.wait_for(lambda: len(server.group.executed) == 2)
            await playing
            await server.wait_for(lambda: len(server.listeners[A].frames) >= len(frames))
        finally:
            await conn.close()
    a = server.listeners[A]
    assert conn.dave.protocol_version == 0
    assert a.dave_failures == 0
    assert 0 < a.plain_frames < len(frames)  # DAVE frames until op 22, plain Opus after
    assert [f.opus for f in a.frames] == frames
