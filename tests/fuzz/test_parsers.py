"""The pure parsers behind loadtracks take any bytes: they answer a parsed value, never raise (websockets' fuzz
contract, STYLE.md §7). Cheap, so they get more examples than the tests that go through the node."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from lavalink_py.sources import playlists
from tests.fuzz import strategies as fs
from tests.fuzz.harness import examples

settings.load_profile("fuzz")

playlist_bytes = st.lists(fs.playlist_lines, max_size=10).map(
    lambda lines: "\n".join(lines).encode("utf-8", "surrogatepass")
) | st.binary(max_size=200)


@settings(max_examples=examples(600))
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
