import asyncio

import aiohttp
import pytest

from lavalink_py.voice.cipher import AES_GCM, XCHACHA
from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.events import VoiceConnected, VoiceEvent
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, play, snr_db, sweep
from tests.voice.harness import connect_to, timestamps_step

LISTENER = 444


@pytest.mark.parametrize(("modes", "expected"), [((XCHACHA, AES_GCM), AES_GCM), ((XCHACHA,), XCHACHA)])
async def test_dave_listener_decodes_the_sweep(modes: tuple[str, ...], expected: str) -> None:
    reference = sweep(1.0)
    frames = encode_opus(reference)
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(modes=modes, listener_ids=(LISTENER,)) as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: bool(server.group.executed))
            assert conn.e2ee_ready
            await play(conn.send_frame, frames)
            await server.wait_for(lambda: len(server.packets) >= len(frames))
        finally:
            await conn.close()
    listener = server.listeners[LISTENER]
    assert server.selected_mode == expected
    assert events[0] == VoiceConnected(resumed=False)
    assert listener.dave_failures == 0 and listener.plain_frames == 0
    assert [f.opus for f in listener.frames] == frames
    assert server.sequence_errors() == []
    assert server.timestamp_errors() == []
    assert timestamps_step([p.timestamp for p in server.packets]) == {960}
    assert snr_db(reference, listener.pcm()) >= 25
    assert conn.stats.packets_sent == len(frames)


async def test_connections_share_a_caller_owned_http_session() -> None:
    async with aiohttp.ClientSession() as http, FakeVoiceServer(guild_id=1) as one, FakeVoiceServer(guild_id=2) as two:
        connections = [
            VoiceConnection(
                guild_id=server.guild_id, user_id=server.node_user_id, channel_id=server.channel_id,
                session_id=server.session_id, token=server.token, endpoint=server.endpoint,
                on_event=lambda _e: None, ssl_context=server.client_ssl_context(), http_session=http,
            )
            for server in (one, two)
        ]
        try:
            await asyncio.gather(*(c.wait_connected(10) for c in connections))
        finally:
            for connection in connections:
                await connection.close()
        assert not http.closed
    assert one.identifies == two.identifies == 1
