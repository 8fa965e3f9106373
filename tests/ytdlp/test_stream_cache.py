"""Resolved media URLs: which format is chosen, how long it is trusted, when it is resolved again."""

from __future__ import annotations

from typing import Any

import pytest

from lavalink_py.sources.ytdlp.streams import ResolvedStream, StreamCache, choose_stream, ffmpeg_options, url_expiry
from tests.ytdlp.recorded import load_fixture

NOW = 1_763_884_800.0


def _stream(url: str, *, live: bool = False) -> ResolvedStream:
    return ResolvedStream(url, (("User-Agent", "UA"),), live)


@pytest.mark.parametrize(
    ("url", "expiry"),
    [
        ("https://rr3---sn.googlevideo.com/videoplayback?expire=1763906400&itag=251", 1763906400.0),
        ("https://manifest.googlevideo.com/api/manifest/hls_playlist/expire/1763906400/ei=Q8/file/index.m3u8",
         1763906400.0),
        ("https://delivery.example/a.m3u8?session=x&Expires=1763970000&Signature=y", 1763970000.0),
        ("https://t4.bcbits.com/stream/abc/mp3-128/1?p=0&ts=1763971200", None),
        ("https://cdn.example/a.mp3?expire=soon", None),
    ],
)
def test_expiry_is_read_from_signed_urls(url: str, expiry: float | None) -> None:
    assert url_expiry(url) == expiry


def test_a_signed_url_is_reused_until_shortly_before_it_expires() -> None:
    cache = StreamCache(margin_s=30.0)
    spec = cache.put("yt", _stream("https://x.googlevideo.com/videoplayback?expire=1763885400"), NOW)
    assert spec.expires_in_s == 600.0
    assert spec.options == {"headers": "User-Agent: UA\r\n"}
    assert cache.get("yt", NOW + 569.0) is not None
    later = cache.get("yt", NOW + 500.0)
    assert later is not None and later.expires_in_s == 100.0
    assert cache.get("yt", NOW + 570.0) is None  # inside the safety margin: resolve again
    assert cache.get("yt", NOW + 1.0) is None  # and it is gone
    assert (cache.hits, cache.misses) == (2, 2)


def test_an_unsigned_url_is_trusted_for_the_default_ttl() -> None:
    cache = StreamCache(default_ttl_s=1800.0, margin_s=0.0)
    spec = cache.put("bc", _stream("https://t4.bcbits.com/stream/abc/mp3-128/1"), NOW)
    assert spec.expires_in_s == 1800.0
    assert cache.get("bc", NOW + 1799.0) is not None
    assert cache.get("bc", NOW + 1800.0) is None


def test_an_unsigned_live_manifest_is_trusted_for_less() -> None:
    cache = StreamCache(default_ttl_s=1800.0, live_ttl_s=300.0, margin_s=0.0)
    spec = cache.put("tw", _stream("https://video-weaver.hls.ttvnw.net/v1/playlist/x.m3u8", live=True), NOW)
    assert (spec.expires_in_s, spec.is_live) == (300.0, True)
    assert cache.get("tw", NOW + 300.0) is None


def test_an_already_expired_url_is_returned_but_not_kept() -> None:
    cache = StreamCache(margin_s=30.0)
    spec = cache.put("old", _stream("https://x.googlevideo.com/v?expire=1763884810"), NOW)
    assert spec.expires_in_s == 10.0
    assert len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache = StreamCache(max_entries=2)
    cache.put("a", _stream("https://cdn/a"), NOW)
    cache.put("b", _stream("https://cdn/b"), NOW)
    assert cache.get("a", NOW) is not None
    cache.put("c", _stream("https://cdn/c"), NOW)
    assert cache.get("b", NOW) is None
    assert cache.get("a", NOW) is not None and cache.get("c", NOW) is not None


def test_best_audio_prefers_opus_then_m4a_then_bitrate() -> None:
    video: dict[str, Any] = load_fixture("youtube/video.json")["info"]
    chosen = choose_stream(video)
    assert chosen is not None and "itag=251" in chosen.url
    without_opus = {**video, "formats": [f for f in video["formats"] if f.get("acodec") != "opus"]}
    chosen = choose_stream(without_opus)
    assert chosen is not None and "itag=140" in chosen.url
    muxed_only = {**video, "formats": [f for f in video["formats"] if f["format_id"] in ("18", "137", "sb0")]}
    chosen = choose_stream(muxed_only)
    assert chosen is not None and "itag=18" in chosen.url


def test_no_format_falls_back_to_the_top_level_url_or_nothing() -> None:
    assert choose_stream({"url": "https://cdn/x.mp3", "http_headers": {"A": "b"}}) == ResolvedStream(
        "https://cdn/x.mp3", (("A", "b"),), False)
    assert choose_stream({"formats": [{"url": "https://cdn/v.mp4", "acodec": "none", "vcodec": "avc1"}]}) is None


def test_headers_become_ffmpeg_options_and_cookies_a_cookie_header() -> None:
    chosen = choose_stream({"url": "https://cdn/x", "http_headers": {"Referer": "https://site/", "Cookie": "leak=1"},
                            "cookies": "a=1; Domain=.site; Path=/; Secure; b=2; Expires=1763970000"})
    assert chosen is not None
    assert ffmpeg_options(chosen.headers) == {"headers": "Referer: https://site/\r\nCookie: a=1; b=2\r\n"}
    assert ffmpeg_options(()) == {}


@pytest.mark.parametrize(("protocol", "hls"), [("m3u8_native", True), ("m3u8", True), ("https", False), ("", False)])
def test_hls_formats_are_marked_for_the_route_planner(protocol: str, hls: bool) -> None:
    # With a route planner an HLS spec is read by the node's own HLS reader (FFmpeg cannot bind its segments).
    cache = StreamCache()
    assert cache.put("k", ResolvedStream("https://x/a.m3u8", (), False, protocol), 0.0).hls is hls
