import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.voice.dave import DaveAdapter
from lavalink_py.voice.errors import RemoteProtocolError
from lavalink_py.voice.gateway import (
    GatewayState,
    HeartbeatAcked,
    HeartbeatTimedOut,
    Ready,
    Resumed,
    SessionDescription,
    VoiceCredentials,
    VoiceGateway,
    carries_mls_work,
    decode_text,
)

CREDS = VoiceCredentials(guild_id=1, user_id=2, channel_id=3, session_id="sess", token="tok")


def sent(gw: VoiceGateway) -> list[dict[str, Any]]:
    return [json.loads(m) for m in gw.data_to_send() if isinstance(m, str)]


def gateway(max_dave: int = 1) -> VoiceGateway:
    return VoiceGateway(CREDS, DaveAdapter(CREDS.user_id, CREDS.channel_id, max_dave))


def handshake(gw: VoiceGateway, modes: list[str], dave: int = 0) -> list[dict[str, Any]]:
    gw.connection_made(resume=False)
    gw.receive_json({"op": 8, "d": {"heartbeat_interval": 41250.0}}, now=0.0)
    gw.receive_json({"op": 2, "d": {"ssrc": 77, "ip": "127.0.0.1", "port": 5000, "modes": modes}, "seq": 1}, 0.0)
    gw.select_protocol("10.0.0.1", 4000)
    key = list(range(32))
    d = {"mode": gw.mode, "secret_key": key, "dave_protocol_version": dave}
    gw.receive_json({"op": 4, "d": d, "seq": 2}, 0.1)
    return sent(gw)


def test_identify_select_session_description() -> None:
    gw = gateway()
    out = handshake(gw, ["aead_xchacha20_poly1305_rtpsize", "aead_aes256_gcm_rtpsize"])
    ops = [m["op"] for m in out]
    assert ops == [0, 3, 1]
    identify, heartbeat, select = out
    assert identify["d"] == {
        "server_id": "1", "user_id": "2", "session_id": "sess", "token": "tok", "max_dave_protocol_version": 1
    }
    assert heartbeat["d"] == {"t": 0, "seq_ack": -1}
    assert select["d"]["data"] == {"address": "10.0.0.1", "port": 4000, "mode": "aead_aes256_gcm_rtpsize"}
    events = gw.events_received()
    assert events[0] == Ready(77, "127.0.0.1", 5000, ("aead_xchacha20_poly1305_rtpsize", "aead_aes256_gcm_rtpsize"))
    assert events[1] == SessionDescription("aead_aes256_gcm_rtpsize", bytes(range(32)), 0)
    assert gw.state is GatewayState.ACTIVE
    assert gw.seq_ack == 2


def test_falls_back_to_xchacha() -> None:
    gw = gateway()
    handshake(gw, ["aead_xchacha20_poly1305_rtpsize"])
    assert gw.mode == "aead_xchacha20_poly1305_rtpsize"


def test_heartbeat_ack_gives_ping_and_missing_acks_time_out() -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"])
    gw.tick(5.0)
    beat = sent(gw)[-1]
    assert beat == {"op": 3, "d": {"t": 5000, "seq_ack": 2}}
    gw.receive_json({"op": 6, "d": {"t": 5000}}, now=5.042)
    assert gw.events_received()[-1] == HeartbeatAcked(42)
    assert gw.ping_ms == 42
    for now in (10.0, 15.0, 20.0, 25.0):
        gw.tick(now)
    assert gw.events_received() == [HeartbeatTimedOut(3)]


def test_binary_prefix_counts_toward_seq_ack_and_resume_sends_it() -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"], dave=1)
    gw.receive_binary(b"\x00\x09\x63")  # unknown binary op 99: ignored, but its seq counts
    assert gw.seq_ack == 9
    gw.connection_lost()
    gw.connection_made(resume=True)
    assert sent(gw)[-1] == {"op": 7, "d": {"server_id": "1", "session_id": "sess", "token": "tok", "seq_ack": 9}}
    gw.receive_json({"op": 9, "d": None}, 1.0)
    assert gw.events_received()[-1] == Resumed()
    assert gw.state is GatewayState.ACTIVE


def test_speaking_and_unknown_ops() -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"])
    gw.speaking(1)
    assert sent(gw) == [{"op": 5, "d": {"speaking": 1, "delay": 0, "ssrc": 77}}]
    gw.receive_json({"op": 18, "d": {"anything": 1}}, 0.0)
    gw.receive_json({"op": 15, "d": None}, 0.0)
    assert gw.ignored_messages == 2


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        "[1, 2]",
        '{"op": "2"}',
        '{"op": 4, "d": {"mode": "aead_aes256_gcm_rtpsize", "secret_key": [1, 2, 3], "dave_protocol_version": 0}}',
        '{"op": 4, "d": {"mode": "aead_aes256_gcm_rtpsize", "secret_key": ' + json.dumps([300] * 32) + "}}",
        '{"op": 4, "d": {"mode": "aead_xchacha20_poly1305_rtpsize", "secret_key": ' + json.dumps([1] * 32) + "}}",
        '{"op": 2, "d": {"ssrc": 1, "ip": "x", "port": 1, "modes": []}}',
        '{"op": 8, "d": {"heartbeat_interval": -5}}',
        '{"op": 11, "d": {"user_ids": [12]}}',
        '{"op": 21, "d": {"transition_id": "x", "protocol_version": 1}}',
        '{"op": 6, "d": 5}',
    ],
)
def test_hostile_json_raises_remote_protocol_error(message: str) -> None:
    gw = gateway()
    gw.connection_made(resume=False)
    gw.receive_json({"op": 2, "d": {"ssrc": 1, "ip": "127.0.0.1", "port": 9, "modes": ["aead_aes256_gcm_rtpsize"]}}, 0)
    gw.select_protocol("127.0.0.1", 1)
    with pytest.raises(RemoteProtocolError):
        gw.receive_text(message, 0.0)


@pytest.mark.parametrize(("op", "mls"), [(4, True), (24, True), (6, False), (11, False), (21, False), (22, False)])
def test_only_rekeying_json_ops_are_routed_as_mls_work(op: int, mls: bool) -> None:
    # Op 4 with DAVE and op 24 re-init the session and make a key package; the driver paces those (MlsLane).
    assert carries_mls_work(decode_text(json.dumps({"op": op, "d": {}}))) is mls


@pytest.mark.parametrize("text", ["[1]", "not json", "[" * 100_000])
def test_decode_text_refuses_what_is_not_an_object(text: str) -> None:
    with pytest.raises(RemoteProtocolError):
        decode_text(text)


def test_truncated_binary_raises() -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"], dave=1)
    for data in (b"", b"\x00\x01", b"\x00\x01\x1d\x00", b"\x00\x01\x1b\x05", b"\x00\x01\x19\x00"):
        with pytest.raises(RemoteProtocolError):
            gw.receive_binary(data)


@given(st.text(max_size=60))
def test_any_text_accepted_or_remote_protocol_error(text: str) -> None:
    gw = gateway()
    gw.connection_made(resume=False)
    with contextlib.suppress(RemoteProtocolError):
        gw.receive_text(text, 0.0)


@given(st.binary(max_size=60))
def test_any_binary_accepted_or_remote_protocol_error(data: bytes) -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"], dave=1)
    with contextlib.suppress(RemoteProtocolError):
        gw.receive_binary(data)


@pytest.mark.parametrize(
    "message",
    [
        {"op": 9, "d": None},  # Resumed without a Resume
        {"op": 4, "d": {"mode": "aead_aes256_gcm_rtpsize", "secret_key": list(range(32))}},  # before Select
        {"op": 2, "d": {"ssrc": 1, "ip": "127.0.0.1", "port": 9, "modes": []}},  # a second Ready
    ],
)
def test_ops_out_of_order_are_rejected(message: dict[str, Any]) -> None:
    gw = gateway()
    gw.connection_made(resume=False)
    gw.receive_json({"op": 2, "d": {"ssrc": 1, "ip": "127.0.0.1", "port": 9, "modes": ["aead_aes256_gcm_rtpsize"]}}, 0)
    with pytest.raises(RemoteProtocolError, match="not expected"):
        gw.receive_json(message, 0.0)


def _server_answer(text: str, seq: int) -> list[str]:
    """What a voice server sends back to one client message (Discord's order: op 0 -> op 2, op 1 -> op 4)."""
    message = json.loads(text)
    if message["op"] == 0:
        d: dict[str, Any] = {"ssrc": 77, "ip": "127.0.0.1", "port": 5000, "modes": ["aead_aes256_gcm_rtpsize"]}
        return [json.dumps({"op": 2, "d": d, "seq": seq})]
    if message["op"] == 1:
        d = {"mode": message["d"]["data"]["mode"], "secret_key": list(range(32)), "dave_protocol_version": 0}
        return [json.dumps({"op": 4, "d": d, "seq": seq})]
    return []


def test_a_select_left_unsent_by_a_dropped_socket_does_not_precede_the_next_identify() -> None:
    # Issue 11: under load IP discovery outlived the WebSocket, so op 1 stayed queued; the next socket sent it
    # before op 0, the server answered op 4 before op 2, and the node saw "op 4 ... in state identifying".
    gw = gateway()
    gw.connection_made(resume=False)
    gw.data_to_send()
    gw.receive_text('{"op":8,"d":{"heartbeat_interval":41250.0}}', 0.0)
    gw.receive_text('{"op":2,"d":{"ssrc":77,"ip":"127.0.0.1","port":5000,"modes":["aead_aes256_gcm_rtpsize"]}}', 0.0)
    gw.select_protocol("10.0.0.1", 4000)  # op 1 queued; the socket drops before the writer sends it
    gw.connection_lost()
    gw.connection_made(resume=False)
    out = [m for m in gw.data_to_send() if isinstance(m, str)]
    assert [json.loads(m)["op"] for m in out] == [0]
    gw.receive_text('{"op":8,"d":{"heartbeat_interval":41250.0}}', 1.0)
    for text in [a for m in out for a in _server_answer(m, 1)]:
        gw.receive_text(text, 1.0)  # op 2 Ready, in state identifying
    assert gw.state is GatewayState.SELECTING
    gw.select_protocol("10.0.0.1", 4000)
    for text in [a for m in gw.data_to_send() if isinstance(m, str) for a in _server_answer(m, 2)]:
        gw.receive_text(text, 1.1)
    assert gw.state.value == "active"  # (`is` after the check above: mypy narrows the property)


def test_resume_sends_op_7_first_then_what_was_pending_but_no_old_heartbeat() -> None:
    gw = gateway()
    handshake(gw, ["aead_aes256_gcm_rtpsize"])
    gw.tick(50.0)  # a heartbeat queued
    gw.speaking(1)  # and Speaking, both left unsent by the dropped socket
    gw.connection_lost()
    gw.connection_made(resume=True)
    assert [m["op"] for m in sent(gw)] == [7, 5]
