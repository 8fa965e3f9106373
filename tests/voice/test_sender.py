import davey
from hypothesis import given, settings
from hypothesis import strategies as st

from lavalink_py.voice.cipher import AES_GCM, XCHACHA, make_cipher
from lavalink_py.voice.dave import DaveAdapter
from lavalink_py.voice.rtp import RtpPacketizer
from lavalink_py.voice.sender import FrameSender
from tests.fakes.discord_voice.mls import ExternalSender, proposals_body, split_commit_welcome

NODE, LISTENER, CHANNEL = 11, 22, 33
KEY = bytes(range(32))


def joined_pair() -> tuple[DaveAdapter, davey.DaveSession]:
    gw = ExternalSender(CHANNEL)
    node = DaveAdapter(NODE, CHANNEL)
    node.receive_binary(25, gw.sender_body)
    node.session_description(1)
    node.clients_connected([LISTENER])
    listener = davey.DaveSession(1, LISTENER, CHANNEL)
    listener.set_external_sender(gw.sender_body)
    node.data_to_send()
    node.receive_binary(27, proposals_body([gw.add(0, listener.get_serialized_key_package())]))
    commit, welcome = split_commit_welcome(node.data_to_send()[0][1:])  # type: ignore[index]
    assert welcome is not None
    node.receive_binary(29, b"\x00\x01" + commit)
    listener.process_welcome(welcome)
    return node, listener


NODE_ADAPTER, LISTENER_SESSION = joined_pair()


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(st.binary(min_size=1, max_size=400), min_size=1, max_size=5),
    mode=st.sampled_from([AES_GCM, XCHACHA]),
    sequence=st.integers(0, 0xFFFF),
    nonce=st.integers(0, 0xFFFFFFFF),
)
def test_sender_output_is_what_a_listener_recovers(frames: list[bytes], mode: str, sequence: int, nonce: int) -> None:
    cipher = make_cipher(mode, KEY)
    sender = FrameSender(RtpPacketizer(ssrc=9, sequence=sequence, timestamp=0xFFFFFC40), cipher, NODE_ADAPTER, nonce)
    for index, frame in enumerate(frames):
        packet = sender.packet_for(frame)
        assert packet is not None
        opened = cipher.decrypt(packet)
        assert opened.header.sequence == (sequence + index) % 65536
        assert opened.header.timestamp == (0xFFFFFC40 + 960 * index) % (1 << 32)
        assert opened.nonce == (nonce + index) % (1 << 32)
        recovered = (
            opened.payload if frame == b"\xf8\xff\xfe"
            else LISTENER_SESSION.decrypt(NODE, davey.MediaType.audio, opened.payload)
        )
        assert recovered == frame


def test_withheld_frame_advances_time_not_sequence() -> None:
    node = DaveAdapter(NODE, CHANNEL)
    node.session_description(1)  # DAVE required, no group yet
    sender = FrameSender(RtpPacketizer(ssrc=9), make_cipher(AES_GCM, KEY), node)
    assert sender.packet_for(b"opus") is None
    silence = sender.packet_for(b"\xf8\xff\xfe")
    assert silence is not None
    header = make_cipher(AES_GCM, KEY).decrypt(silence).header
    assert (header.sequence, header.timestamp) == (0, 960)


class RecordingDave(DaveAdapter):
    """The real adapter, keeping each payload it hands out: DAVE's own nonce makes two encryptions of one frame
    differ, so the reference path below is fed the very DAVE frame the fast path sent."""

    def __init__(self, inner: DaveAdapter) -> None:
        self.inner = inner
        self.payloads: list[bytes | None] = []

    def encrypt(self, frame: bytes) -> bytes | None:
        payload = self.inner.encrypt(frame)
        self.payloads.append(payload)
        return payload


def transport_only() -> DaveAdapter:
    adapter = DaveAdapter(NODE, CHANNEL)
    adapter.session_description(0)
    return adapter


def dave_pending() -> DaveAdapter:
    adapter = DaveAdapter(NODE, CHANNEL)
    adapter.session_description(1)  # DAVE required, no group yet: every frame but silence is withheld
    return adapter


@settings(max_examples=80, deadline=None)
@given(
    frames=st.lists(st.one_of(st.binary(min_size=1, max_size=400), st.just(b"\xf8\xff\xfe")), min_size=1, max_size=6),
    mode=st.sampled_from([AES_GCM, XCHACHA]),
    dave=st.sampled_from(["joined", "transport-only", "pending"]),
    start=st.tuples(
        st.sampled_from([0, 1, 0xFFFE, 0xFFFF]) | st.integers(0, 0xFFFF),  # sequence
        st.sampled_from([0, 0xFFFFFC40, 0xFFFFFFFF]) | st.integers(0, 0xFFFFFFFF),  # timestamp
        st.sampled_from([0, 0xFFFFFFFE, 0xFFFFFFFF]) | st.integers(0, 0xFFFFFFFF),  # nonce
        st.integers(0, 0xFFFFFFFF),  # ssrc
    ),
)
def test_fast_sender_is_byte_identical_to_the_reference_path(
    frames: list[bytes], mode: str, dave: str, start: tuple[int, int, int, int]
) -> None:
    """FrameSender fuses header, nonce and AEAD by hand; the sans-I/O parts it stands for must give the same bytes:
    RtpPacketizer.next_header, the counter nonce, TransportCipher.encrypt over the same DAVE frame."""
    sequence, timestamp, nonce, ssrc = start
    adapter = {"joined": NODE_ADAPTER, "transport-only": transport_only(), "pending": dave_pending()}[dave]
    recorder = RecordingDave(adapter)
    sender = FrameSender(RtpPacketizer(ssrc, sequence, timestamp), make_cipher(mode, KEY), recorder, nonce)
    reference_cipher = make_cipher(mode, KEY)
    reference = RtpPacketizer(ssrc, sequence, timestamp)
    reference_nonce = nonce
    for frame in frames:
        packet = sender.packet_for(frame)
        payload = recorder.payloads[-1]
        if payload is None:
            assert packet is None
            reference.timestamp = (reference.timestamp + 960) % (1 << 32)  # time passes, the sequence waits
            continue
        expected = reference_cipher.encrypt(reference.next_header(), payload, reference_nonce)
        reference_nonce = (reference_nonce + 1) % (1 << 32)
        assert packet == expected
        if dave == "joined" and frame != b"\xf8\xff\xfe":
            assert LISTENER_SESSION.decrypt(NODE, davey.MediaType.audio, payload) == frame
        else:
            assert payload == frame
    assert (sender.packetizer.sequence, sender.packetizer.timestamp) == (reference.sequence, reference.timestamp)
    assert sender.nonce == reference_nonce
