"""The voice connection's reader under slow MLS work (issue 11): heartbeat ACKs are read while a message waits for
the MLS lane, so the heartbeat ticker never closes a healthy socket."""

from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.mls_lane import MlsLane
from tests.fakes.discord_voice.server import FakeVoiceServer

A = 701


async def test_heartbeat_acks_are_read_while_mls_calls_wait_for_the_lane() -> None:
    # A lane with no budget and a 2 s window: after the first MLS call on the loop (op 4's key package), each
    # next one (op 25, ...) waits for the next window, 2 s, ten heartbeat intervals. A reader that awaited it
    # inline would leave three ACKs unread and the ticker would close the socket (then resume or re-identify).
    lane = MlsLane(budget_s=0.0, window_s=2.0)
    async with FakeVoiceServer(listener_ids=(A,), heartbeat_interval_ms=200, decode_audio=False) as server:
        connection = VoiceConnection(
            guild_id=server.guild_id, user_id=server.node_user_id, channel_id=server.channel_id,
            session_id=server.session_id, token=server.token, endpoint=server.endpoint, on_event=lambda _e: None,
            ssl_context=server.client_ssl_context(), mls_lane=lane,
        )
        try:
            await connection.wait_e2ee_ready(60)
            heartbeats = server.heartbeats
            await server.wait_for(lambda: server.heartbeats >= heartbeats + 5, 60)
        finally:
            await connection.close()
    assert lane.stats.deferred >= 1  # the handshake did wait for the lane
    assert server.ws_connections == server.identifies == 1
    assert server.resumes == 0
    assert connection.ping_ms == -1  # closed
