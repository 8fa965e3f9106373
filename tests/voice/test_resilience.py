"""Drops, resumes, close codes and hostile input from the voice server."""

import asyncio
import ssl

import pytest

from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.events import VoiceConnected, VoiceDisconnected, VoiceEvent, WebSocketClosed
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, play, sweep
from tests.voice.harness import connect_to

A, B = 601, 602


def closed_events(events: list[VoiceEvent]) -> list[WebSocketClosed]:
    return [e for e in events if isinstance(e, WebSocketClosed)]


async def test_drop_is_resumed_with_replay_and_no_gap_or_duplicate() -> None:
    frames = encode_opus(sweep(2.0))
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: bool(server.group.executed))
            playing = asyncio.create_task(play(conn.send_frame, frames))
            await server.wait_for(lambda: len(server.packets) >= 20)
            await server.drop_websocket()
            # DAVE messages sent while the socket is down must reach the node through v8's replay.
            await server.add_listener(B)
            await server.wait_for(lambda: server.resumes == 1 and len(server.group.executed) == 2)
            await playing
            await server.wait_for(lambda: len(server.packets) >= len(frames))
        finally:
            await conn.close()
    sequences = [p.sequence for p in server.packets]
    assert len(sequences) == len(frames) == len(set(sequences))
    assert server.sequence_errors() == []
    assert server.timestamp_errors() == []
    assert server.identifies == 1
    assert VoiceConnected(resumed=True) in events
    assert closed_events(events) == []  # a transparent resume is not reported
    assert server.listeners[A].dave_failures == 0
    assert server.listeners[B].joined


@pytest.mark.parametrize("external_sender_first", [False, True])
async def test_refused_resume_reidentifies_and_reports(external_sender_first: bool) -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(listener_ids=(A,), external_sender_first=external_sender_first) as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: bool(server.group.executed))
            server.refuse_next_resume = True
            await server.drop_websocket()
            await server.wait_for(lambda: server.identifies == 2 and len(server.group.executed) == 2)
            await play(conn.send_frame, encode_opus(sweep(0.2)))
            await server.wait_for(lambda: len(server.listeners[A].frames) >= 5)
        finally:
            await conn.close()
    assert [(e.code, e.by_remote) for e in closed_events(events)] == [(4006, True)]
    assert events.count(VoiceConnected(resumed=False)) == 2


async def test_crash_code_4015_resumes_silently() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer() as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.close_websocket(4015, "voice server crashed")
            await server.wait_for(lambda: server.resumes == 1 and server.ws_connected)
        finally:
            await conn.close()
    assert closed_events(events) == []


@pytest.mark.parametrize("code", [4014, 4021, 4022])
async def test_final_close_codes_report_and_do_not_reconnect(code: int) -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer() as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.close_websocket(code, "bye")
            await asyncio.wait_for(conn.wait_closed(), 10)
        finally:
            await conn.close()
    assert closed_events(events) == [WebSocketClosed(code, "bye", True, final=True)]
    assert isinstance(events[-1], VoiceDisconnected)
    assert server.ws_connections == 1
    assert not conn.connected and conn.ping_ms == -1


async def test_identify_without_dave_gets_4017() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer() as server:
        conn = connect_to(server, events, max_dave=0)
        try:
            conn.start()
            await asyncio.wait_for(conn.wait_closed(), 10)
        finally:
            await conn.close()
    assert [e.code for e in closed_events(events)] == [4017]
    assert server.ws_connections == 1


async def test_dave_off_when_server_negotiates_version_zero() -> None:
    reference = encode_opus(sweep(0.5))
    async with FakeVoiceServer(dave_version=0, listener_ids=(A,)) as server:
        conn = connect_to(server, [])
        try:
            await conn.wait_connected(10)
            await play(conn.send_frame, reference)
            await server.wait_for(lambda: len(server.listeners[A].frames) >= len(reference))
        finally:
            await conn.close()
    listener = server.listeners[A]
    assert [f.opus for f in listener.frames] == reference
    assert listener.plain_frames == len(reference)


async def test_silence_then_speaking_zero() -> None:
    frames = encode_opus(sweep(0.2))
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = connect_to(server, [])
        try:
            await conn.wait_e2ee_ready(10)
            await play(conn.send_frame, frames)
            conn.stop_speaking()
            await server.wait_for(lambda: server.speaking[-1:] == [0])
        finally:
            await conn.close()
    # DAVE leaves the Opus silence frame as it is; receivers let exactly F8 FF FE through.
    assert [p.payload for p in server.packets[-5:]] == [b"\xf8\xff\xfe"] * 5
    assert server.listeners[A].silence_frames == 5
    assert [f.opus for f in server.listeners[A].frames] == frames
    assert server.speaking == [1, 0]


async def test_endpoint_by_hostname_and_heartbeat_ping() -> None:
    async with FakeVoiceServer(heartbeat_interval_ms=50) as server:
        conn = connect_to(server, [], endpoint=f"wss://localhost:{server.endpoint.split(':')[1]}")
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: server.heartbeats >= 3)
            await server.wait_for(lambda: conn.ping_ms >= 0)
        finally:
            await conn.close()
    assert conn.ping_ms == -1  # unknown once closed


HOSTILE_TEXT: list[str | bytes] = ["{not json", '{"op": 4, "d": {"mode": 1}}', '{"op": 2, "d": {"ssrc": "x"}}', '[]']
HOSTILE_BINARY: list[str | bytes] = [
    b"\x00",  # shorter than the seq/op prefix
    b"\x00\x07\x1d\x00",  # op 29 commit without its transition id
    b"\x00\x07\x1e",  # op 30 welcome, empty
    b"\x00\x07\x19\x01\x02",  # op 25 external sender, truncated
    b"\x00\x07\x1b\x09\x00",  # op 27 with an unknown operation type
]


@pytest.mark.parametrize("payload", HOSTILE_TEXT + HOSTILE_BINARY)
async def test_hostile_input_ends_the_connection_with_an_event(payload: str | bytes) -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer() as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            if isinstance(payload, bytes):
                await server.send_raw_binary(payload)
            else:
                await server.send_raw_text(payload)
            await asyncio.wait_for(conn.wait_closed(), 10)
        finally:
            await conn.close()
    (closed,) = closed_events(events)
    assert (closed.code, closed.by_remote) == (1002, False)
    assert isinstance(events[-1], VoiceDisconnected)
    assert server.ws_connections == 1


async def test_wrong_key_size_ends_the_connection_with_an_event() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(secret_key_size=16) as server:
        conn = connect_to(server, events)
        try:
            conn.start()
            await asyncio.wait_for(conn.wait_closed(), 10)
        finally:
            await conn.close()
    assert [(e.code, e.by_remote) for e in closed_events(events)] == [(1002, False)]
    assert "secret_key" in closed_events(events)[0].reason


async def test_unknown_ops_are_ignored_and_audio_continues() -> None:
    async with FakeVoiceServer(listener_ids=(A,)) as server:
        conn = connect_to(server, [])
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: bool(server.group.executed))
            await server.send_raw_text('{"op": 99, "d": {"x": 1}}')
            await server.send_raw_binary(b"\x00\x09\x63abc")
            await play(conn.send_frame, encode_opus(sweep(0.2)))
            await server.wait_for(lambda: len(server.listeners[A].frames) >= 10)
        finally:
            await conn.close()
    assert conn.gateway.ignored_messages == 1
    assert server.ws_connections == 1


async def test_missing_heartbeat_acks_lead_to_a_resume() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(heartbeat_interval_ms=30, ack_heartbeats=False) as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.wait_for(lambda: server.resumes >= 1)
            server.ack_heartbeats = True
            await server.wait_for(lambda: server.ws_connected and conn.ping_ms >= 0)
        finally:
            await conn.close()
    assert server.identifies == 1
    assert closed_events(events) == []


async def test_default_ssl_context_trusts_ssl_cert_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The production path: no context passed, the CA comes from SSL_CERT_FILE as in the node's process."""
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))
    async with FakeVoiceServer(dave_version=0) as server:
        conn = VoiceConnection(
            guild_id=server.guild_id, user_id=server.node_user_id, channel_id=server.channel_id,
            session_id=server.session_id, token=server.token, endpoint=server.endpoint, on_event=lambda _e: None,
        )
        try:
            await conn.wait_e2ee_ready(10)
        finally:
            await conn.close()
    assert server.identifies == 1


async def test_untrusted_certificate_is_refused_and_reported() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer() as server:
        conn = VoiceConnection(
            guild_id=server.guild_id, user_id=server.node_user_id, channel_id=server.channel_id,
            session_id=server.session_id, token=server.token, endpoint=server.endpoint, on_event=events.append,
            ssl_context=ssl.create_default_context(),
        )
        try:
            conn.start()
            await asyncio.wait_for(conn.wait_closed(), 30)
        finally:
            await conn.close()
    assert server.ws_connections == 0
    assert isinstance(events[-1], VoiceDisconnected)
    assert closed_events(events)[0].code == 1006


async def test_resume_older_than_the_replay_buffer_gets_4006_and_reidentifies() -> None:
    events: list[VoiceEvent] = []
    async with FakeVoiceServer(buffer_size=3) as server:
        conn = connect_to(server, events)
        try:
            await conn.wait_connected(10)
            await server.drop_websocket()
            for user_id in (701, 702, 703):  # four sequenced messages while down: one falls out of the buffer
                await server.add_listener(user_id)
            await server.wait_for(lambda: server.identifies == 2 and len(server.group.executed) == 1)
        finally:
            await conn.close()
    assert server.resumes == 0
    assert [e.code for e in closed_events(events)] == [4006]
    assert all(listener.joined for listener in server.listeners.values())
