"""Playlist detection and parsing (lavaplayer's M3U, PLS and plain-list probes), as pure functions."""

from __future__ import annotations

import pytest

from lavalink_py.sources.playlists import Entry, Hls, NoLinks, parse, playlist_kind


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"#EXTM3U\n", "m3u"),
        (b"#EXTINF:-1,x\nhttp://a", "m3u"),
        (b"\xef\xbb\xbf#EXTM3U\n", "m3u"),
        (b"[playlist]\nFile1=http://a", "pls"),
        (b"[Playlist]\n", "pls"),
        (b"http://radio.example/stream\n", "plain"),
        (b"icy://radio.example/stream", "plain"),
        (b"ID3\x04\x00", None),
        (b"OggS\x00", None),
        (b"<html>", None),
        (b"", None),
        (b"[play]", None),
    ],
)
def test_playlist_kind(head: bytes, kind: str | None) -> None:
    assert playlist_kind(head) == kind


def test_m3u_first_absolute_link_with_its_title() -> None:
    text = b"#EXTM3U\n#EXTINF:-1,Skipped\nrelative.mp3\nhttp://a/1\n#EXTINF:5,Second\nhttp://a/2\n"
    # A relative entry resets the title, as in lavaplayer.
    assert parse("m3u", text, "http://host/list.m3u") == Entry("http://a/1", None)
    assert parse("m3u", b"#EXTINF:1,Name, with comma\r\nicy://r/s\r\n", None) == Entry("icy://r/s", "Name, with comma")


def test_m3u_without_links() -> None:
    assert parse("m3u", b"#EXTM3U\n# comment\nfile.mp3\n", None) == NoLinks()


def test_hls_media_playlists() -> None:
    live = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nhttp://cdn/s1.ts\n"
    assert parse("m3u", live, "http://h/p.m3u8") == Hls(variant_url=None, live=True, length_ms=None)
    vod = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.006,\na.ts\n#EXTINF:bad,\nb.ts\n#EXTINF:4,\nc.ts\n"
    vod += b"#EXT-X-ENDLIST\n"
    assert parse("m3u", vod, None) == Hls(variant_url=None, live=False, length_ms=10006)


def test_hls_master_names_its_first_variant_resolved() -> None:
    master = b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=2\nhigh.m3u8\n"
    assert parse("m3u", master, "http://h/a/master.m3u8") == Hls(variant_url="http://h/a/low/index.m3u8")


def test_pls_lowest_numbered_file_and_its_title() -> None:
    text = b"[playlist]\nFile3=http://c\nFile1=http://a\nTitle1=First\nTitle3=Third\nNumberOfEntries=2\n"
    assert parse("pls", text, None) == Entry("http://a", "First")
    assert parse("pls", b"[playlist]\nFile1=  https://a/b  \n", None) == Entry("https://a/b", None)
    assert parse("pls", b"[playlist]\nFile1=relative.mp3\n", None) == NoLinks()


def test_plain_first_link() -> None:
    assert parse("plain", b"http://a/1\nhttp://a/2\n", None) == Entry("http://a/1", None)
