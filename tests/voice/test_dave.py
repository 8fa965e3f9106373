import contextlib
import threading

import davey
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lavalink_py.voice.dave import (
    OFFLOADABLE_OPS,
    OP_COMMIT_WELCOME,
    OP_KEY_PACKAGE,
    SILENCE_FRAME,
    DaveAdapter,
    JsonOut,
)
from lavalink_py.voice.errors import DaveError
from tests.fakes.discord_voice.group import DaveGroup
from tests.fakes.discord_voice.mls import ExternalSender, proposals_body, split_commit_welcome

NODE, LISTENER, CHANNEL = 1001, 2002, 3003
FRAME = bytes(range(60))


def binaries(adapter: DaveAdapter) -> list[bytes]:
    return [m for m in adapter.data_to_send() if isinstance(m, bytes)]


def started(version: int = 1) -> tuple[DaveAdapter, ExternalSender]:
    gw = ExternalSender(CHANNEL)
    node = DaveAdapter(NODE, CHANNEL)
    node.receive_binary(25, gw.sender_body)  # before op 4, as the gateway may send it
    node.session_description(version)
    return node, gw


def join_listener(node: DaveAdapter, gw: ExternalSender) -> davey.DaveSession:
    listener = davey.DaveSession(1, LISTENER, CHANNEL)
    listener.set_external_sender(gw.sender_body)
    node.clients_connected([LISTENER])
    node.receive_binary(27, proposals_body([gw.add(0, listener.get_serialized_key_package())]))
    (commit_welcome,) = binaries(node)
    assert commit_welcome[0] == OP_COMMIT_WELCOME
    commit, welcome = split_commit_welcome(commit_welcome[1:])
    assert welcome is not None
    node.receive_binary(29, b"\x00\x01" + commit)
    assert node.data_to_send() == [JsonOut(23, {"transition_id": 1})]
    listener.process_welcome(welcome)
    node.receive_json(22, {"transition_id": 1})
    return listener


def test_key_package_then_join_then_encrypted_frames() -> None:
    node, gw = started()
    (key_package,) = binaries(node)  # drained here so join_listener sees only the commit
    assert key_package[0] == OP_KEY_PACKAGE and key_package[1:5] == b"\x00\x01\x00\x02"
    assert node.encrypt(FRAME) is None  # required but not ready: never plain Opus
    assert node.encrypt(SILENCE_FRAME) == SILENCE_FRAME
    assert node.stats.withheld_frames == 1
    listener = join_listener(node, gw)
    payload = node.encrypt(FRAME)
    assert payload is not None and payload[-2:] == b"\xfa\xfa"
    assert listener.decrypt(NODE, davey.MediaType.audio, payload) == FRAME


def test_add_for_unexpected_user_is_refused() -> None:
    node, gw = started()
    node.data_to_send()
    stranger = davey.DaveSession(1, 4444, CHANNEL)
    stranger.set_external_sender(gw.sender_body)
    node.receive_binary(27, proposals_body([gw.add(0, stranger.get_serialized_key_package())]))
    assert node.data_to_send() == []
    assert node.stats.rejected_proposals == 1


def test_invalid_commit_recovers_with_op31_and_new_key_package() -> None:
    node, _gw = started()
    node.data_to_send()
    node.receive_binary(29, b"\x00\x07" + b"\x00\x01\x00\x01garbage")
    out = node.data_to_send()
    assert out[0] == JsonOut(31, {"transition_id": 7})
    assert isinstance(out[1], bytes) and out[1][0] == OP_KEY_PACKAGE
    assert node.stats.recoveries == 1


def test_version_zero_is_transport_only() -> None:
    node, _gw = started(version=0)
    assert node.data_to_send() == []
    assert node.encrypt(FRAME) == FRAME


def test_sole_member_reset_and_downgrade_transition() -> None:
    node, gw = started()
    node.data_to_send()
    join_listener(node, gw)
    node.receive_json(24, {"epoch": 1, "protocol_version": 1})
    (key_package,) = binaries(node)
    assert key_package[0] == OP_KEY_PACKAGE
    node.receive_json(21, {"transition_id": 0, "protocol_version": 1})
    assert node.protocol_version == 1
    assert node.encrypt(FRAME) is None  # a fresh group is pending again
    node.receive_json(21, {"transition_id": 5, "protocol_version": 0})
    assert node.data_to_send() == [JsonOut(23, {"transition_id": 5})]
    assert node.encrypt(FRAME) is None  # the old version holds until execute
    node.receive_json(22, {"transition_id": 5})
    assert node.encrypt(FRAME) == FRAME


def test_a_new_epoch_at_version_zero_is_transport_only() -> None:
    """Op 24 for epoch 1 at protocol version 0 (a fuzzer's find): no group, plain frames, as op 4 at version 0."""
    node, gw = started()
    node.data_to_send()
    join_listener(node, gw)
    node.receive_json(24, {"epoch": 1, "protocol_version": 0})
    assert node.data_to_send() == []
    assert node.protocol_version == 0
    assert node.encrypt(FRAME) == FRAME
    node.receive_json(24, {"epoch": 1, "protocol_version": 1})  # and back: a fresh group, frames withheld again
    assert [m[0] for m in binaries(node)] == [OP_KEY_PACKAGE]
    assert node.encrypt(FRAME) is None


@pytest.mark.parametrize("payload", [b"\x05abc", b""])
def test_bad_external_sender_is_fatal(payload: bytes) -> None:
    node = DaveAdapter(NODE, CHANNEL)
    with pytest.raises(DaveError):
        node.receive_binary(25, payload)


def test_version_above_maximum_is_refused() -> None:
    node = DaveAdapter(NODE, CHANNEL)
    with pytest.raises(DaveError):
        node.session_description(9)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 99]), st.binary(max_size=300))
def test_any_binary_message_accepted_or_dave_error(op: int, payload: bytes) -> None:
    node = DaveAdapter(NODE, CHANNEL)
    node.session_description(1)
    try:
        node.receive_binary(op, payload)
    except DaveError:
        return
    node.data_to_send()


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([21, 22, 24]), st.dictionaries(st.sampled_from(["transition_id", "protocol_version", "epoch"]),
                                                      st.one_of(st.integers(-5, 70000), st.text(max_size=3))))
def test_any_json_message_accepted_or_dave_error(op: int, d: dict[str, int | str]) -> None:
    node = DaveAdapter(NODE, CHANNEL)
    node.session_description(1)
    try:
        node.receive_json(op, dict(d))
    except DaveError:
        return


def test_truncated_or_corrupted_real_messages_never_escape() -> None:
    gw = ExternalSender(CHANNEL)
    listener = davey.DaveSession(1, LISTENER, CHANNEL)
    listener.set_external_sender(gw.sender_body)
    proposals = proposals_body([gw.add(0, listener.get_serialized_key_package())])

    def fresh() -> DaveAdapter:
        node = DaveAdapter(NODE, CHANNEL)
        node.receive_binary(25, gw.sender_body)
        node.session_description(1)
        node.clients_connected([LISTENER])
        node.data_to_send()
        return node

    node = fresh()
    node.receive_binary(27, proposals)
    commit, welcome = split_commit_welcome(binaries(node)[0][1:])
    assert welcome is not None
    for op, full in ((27, proposals), (29, b"\x00\x01" + commit), (30, b"\x00\x01" + welcome), (25, gw.sender_body)):
        for cut in range(0, len(full), 23):
            flipped = bytes(b ^ 0x55 if i == cut else b for i, b in enumerate(full))
            for variant in (full[:cut], full[:cut] + b"\xff" * 5, flipped):
                with contextlib.suppress(DaveError):
                    fresh().receive_binary(op, variant)


def test_new_session_accepts_external_sender_before_session_description() -> None:
    node, gw = started()
    node.data_to_send()
    join_listener(node, gw)
    assert node.session is not None and node.session.ready
    node.new_session()
    node.receive_binary(25, ExternalSender(CHANNEL).sender_body)  # a new gateway key, before op 4
    node.session_description(1)
    (key_package,) = binaries(node)
    assert key_package[0] == OP_KEY_PACKAGE
    assert node.encrypt(FRAME) is None


def test_frames_encrypted_while_mls_calls_run_on_another_thread_all_decrypt() -> None:
    """The driver runs ops 27/29/30 on the MLS lane's thread while the clock encrypts on the loop's: every frame
    then carries the old epoch's keys or the new one's, and the listener who stayed decrypts every one."""
    group = DaveGroup(CHANNEL, NODE)
    group.add_listener(LISTENER, decode=False)
    group.take_output()
    node = DaveAdapter(NODE, CHANNEL)
    node.session_description(1)
    group.opening_messages()
    stayed = group.listeners[LISTENER]
    sent: list[int] = []

    def send_frame() -> None:
        if not node.ready:
            return
        payload = node.encrypt(FRAME)
        assert payload is not None
        sent.append(len(sent))
        stayed.receive(sent[-1], payload, NODE, True)

    def exchange() -> None:
        for _ in range(8):
            for message in group.take_output():
                if message.binary is not None and message.op in OFFLOADABLE_OPS:
                    call = node.begin_binary(message.op, message.binary)
                    thread = threading.Thread(target=call.run)
                    thread.start()
                    while thread.is_alive():  # the clock goes on meanwhile
                        send_frame()
                    thread.join()
                    call.finish()
                elif message.binary is not None:
                    node.receive_binary(message.op, message.binary)
                elif message.json is not None and message.op == 11:
                    node.clients_connected([int(u) for u in message.json["user_ids"]])
                elif message.json is not None and message.op == 13:
                    node.client_disconnected(int(message.json["user_id"]))
                elif message.json is not None:
                    node.receive_json(message.op, message.json)
                send_frame()
            for out in node.data_to_send():
                if isinstance(out, JsonOut):
                    if out.op == 23:
                        group.transition_ready(int(out.d["transition_id"]))
                elif out[0] == OP_KEY_PACKAGE:
                    group.node_key_package_received(out[1:])
                elif out[0] == OP_COMMIT_WELCOME:
                    group.commit_received(out[1:])

    exchange()
    assert node.ready
    for member in (4001, 4002, 4003):
        group.add_listener(member, decode=False)
        exchange()
    for member in (4001, 4002, 4003):
        group.remove_listener(member)
        exchange()
    assert len(group.executed) == 7  # the first join, then six epoch changes
    assert node.stats.transitions == 7
    assert node.stats.encrypt_failures == node.stats.withheld_frames == 0
    assert stayed.dave_failures == 0
    assert [f.sequence for f in stayed.frames] == sent


def test_mls_call_begun_before_a_new_session_finishes_into_nothing() -> None:
    """A socket died while its commit ran on the MLS thread, and the next one re-identified: the old call's op 31
    (or 23, 28) must not go out on the new session."""
    node, _gw = started()
    node.data_to_send()
    call = node.begin_binary(29, b"\x00\x07" + b"\x00\x01\x00\x01garbage")
    call.run()
    node.new_session()
    call.finish()
    assert node.data_to_send() == []
    assert node.stats.recoveries == 0
    node.session_description(1)
    node.data_to_send()
    fresh = node.begin_binary(29, b"\x00\x07" + b"\x00\x01\x00\x01garbage")  # begun on the new session: applies
    fresh.run()
    fresh.finish()
    assert node.data_to_send()[0] == JsonOut(31, {"transition_id": 7})
