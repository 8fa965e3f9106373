"""The pure parsers behind loadtracks take any bytes: they answer a parsed value, never raise (websockets' fuzz
contract, STYLE.md §7). Cheap, so they get more examples than the tests that go through the node."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lavalink_py.sources import playlists
from lavalink_py.voice.dave import DaveAdapter
from lavalink_py.voice.errors import RemoteProtocolError
from lavalink_py.voice.gateway import VoiceCredentials, VoiceGateway
from tests.fuzz import strategies as fs
from tests.fuzz.harness import examples

settings.load_profile("fuzz")

playlist_bytes = st.lists(fs.playlist_lines, max_size=10).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
) | st.binary(max_size=200)


@settings(max_examples=examples(300))
@example(data=b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:inf,\nseg.ts\n#EXT-X-ENDLIST")
@example(data=b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:nan,\nseg.ts\n#EXT-X-ENDLIST")
@example(data=b"#EXTM3U\n#EXT-X-VERSION:3\n" + b"#EXTINF:1e308,\nseg.ts\n" * 2 + b"#EXT-X-ENDLIST")
@example(data=b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nhttp://[::1\n")
@given(data=playlist_bytes)
def test_playlists_parse_anything(data: bytes) -> None:
    kind = playlists.playlist_kind(data[: playlists.PLAIN_SCAN_BYTES])
    kinds: set[playlists.PlaylistKind] = {"m3u", "pls", "plain"}
    assert kind is None or kind in kinds
    for parsed_as in kinds:
        parsed = playlists.parse(parsed_as, data, "http://127.0.0.1:1/list.m3u8")
        assert isinstance(parsed, playlists.Entry | playlists.Hls | playlists.NoLinks)
        if isinstance(parsed, playlists.Hls) and parsed.length_ms is not None:
            assert 0 <= parsed.length_ms <= 2**63 - 1


gateway_ops = st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 21, 22, 24, 99]) | fs.INTEGERS
gateway_payloads = st.fixed_dictionaries(
    {},
    optional={
        "heartbeat_interval": fs.NUMBERS,
        "ssrc": fs.INTEGERS,
        "ip": fs.TEXT,
        "port": fs.INTEGERS,
        "modes": st.lists(st.sampled_from(["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]) | fs.TEXT),
        "mode": st.sampled_from(["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]) | fs.TEXT,
        "secret_key": st.lists(st.integers(-1, 256), max_size=33),
        "dave_protocol_version": fs.INTEGERS,
        "t": fs.NUMBERS,
        "user_ids": st.lists(fs.snowflakes | fs.json_values, max_size=3),
        "user_id": fs.snowflakes | fs.json_values,
        "transition_id": fs.INTEGERS,
        "protocol_version": fs.INTEGERS,
        "epoch": fs.INTEGERS,
    },
)
gateway_texts = st.one_of(
    st.builds(lambda op, d, seq: fs.dumps({"op": op, "d": d, "seq": seq}), gateway_ops, gateway_payloads, fs.INTEGERS),
    st.builds(lambda op, d: fs.dumps({"op": op, "d": d}), gateway_ops, fs.json_values),
    fs.json_values.map(lambda v: fs.dumps(v).decode()),
    st.integers(1, 5000).map(lambda n: "[" * n + "]" * n),
    st.text(max_size=30),
)


@settings(max_examples=examples(200))
@example(texts=["[" * 5000 + "]" * 5000])
@example(texts=['{"op": 24, "d": {"epoch": 1, "protocol_version": 0}, "seq": 0}'])  # davey raised ValueError
@given(texts=st.lists(gateway_texts.map(lambda t: t if isinstance(t, str) else t.decode()), max_size=6))
def test_voice_gateway_takes_any_server_text(texts: list[str]) -> None:
    """The voice endpoint is the client's to choose: whatever a server sends, only RemoteProtocolError escapes."""
    credentials = VoiceCredentials(guild_id=1, user_id=2, channel_id=3, session_id="s", token="t")
    gateway = VoiceGateway(credentials, DaveAdapter(credentials.user_id, credentials.channel_id, 1))
    gateway.connection_made(resume=False)
    for now, text in enumerate(texts):
        try:
            gateway.receive_text(text, float(now))
        except RemoteProtocolError:
            continue
        gateway.tick(float(now))
        gateway.events_received()
        gateway.data_to_send()
