"""The `http` source against a real server: media kinds, radio streams, playlists, HLS and every failure."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import av
import pytest

from lavalink_py.protocol.track import STREAM_LENGTH_MS
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.probe import MediaProbe
from tests.sources.conftest import MediaServer
from tests.sources.helpers import container, failed, loaded


@pytest.fixture
async def http(probe: MediaProbe) -> AsyncIterator[HttpSourceManager]:
    manager = HttpSourceManager(probe)
    yield manager
    await manager.close()


# --- media files ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "probe_name", "title", "author"),
    [
        ("tagged.mp3", "mp3", "Tone Title", "Tone Artist"),
        ("untagged.mp3", "mp3", "Unknown title", "Unknown artist"),
        ("album.mp3", "mp3", "T", "Album Artist"),
        ("tone.ogg", "ogg", "Tone Title", "Tone Artist"),
        ("tone.flac", "flac", "Tone Title", "Tone Artist"),
        ("tone.wav", "wav", "Unknown title", "Unknown artist"),
        ("tone.m4a", "mp4", "Tone Title", "Tone Artist"),
        ("tone.webm", "matroska/webm", "Tone Title", "Tone Artist"),
        ("tone.aac", "adts", "Unknown title", "Unknown artist"),
    ],
)
async def test_media_file_is_a_track(
    http: HttpSourceManager, media_server: MediaServer, name: str, probe_name: str, *, title: str, author: str
) -> None:
    url = media_server.url(f"/media/{name}")
    track = loaded(await http.load_item(url))
    info = track.info
    assert (info.title, info.author) == (title, author)
    assert (info.identifier, info.uri, info.source_name) == (url, url, "http")
    assert not info.is_stream and info.is_seekable
    assert 1900 <= info.length_ms <= 2100
    assert (info.artwork_url, info.isrc, info.position_ms) == (None, None, 0)
    assert container(track) == probe_name


async def test_redirect_target_becomes_the_identifier(http: HttpSourceManager, media_server: MediaServer) -> None:
    url = media_server.url("/redirect/~media~tagged.mp3")
    track = loaded(await http.load_item(url))
    assert track.info.identifier == media_server.url("/media/tagged.mp3")
    assert track.info.title == "Tone Title"


async def test_redirect_loop_gives_up_empty(http: HttpSourceManager, media_server: MediaServer) -> None:
    assert await http.load_item(media_server.url("/loop")) is None


# --- radio streams --------------------------------------------------------------------------------------------------


async def test_endless_icecast_stream_is_a_live_track(http: HttpSourceManager, media_server: MediaServer) -> None:
    url = media_server.url("/live")
    track = loaded(await http.load_item(url))
    info = track.info
    # lavaplayer: title from icy-description, author from icy-name, length Long.MAX_VALUE.
    assert (info.title, info.author) == ("Best hits", "Radio X")
    assert info.is_stream and not info.is_seekable
    assert info.length_ms == STREAM_LENGTH_MS
    assert container(track) == "mp3"
    # Both the detection request and PyAV's probe let go of the endless stream.
    await asyncio.wait_for(media_server.live_idle.wait(), timeout=10)


async def test_icy_scheme_is_read_as_http(http: HttpSourceManager, media_server: MediaServer) -> None:
    url = media_server.url("/media/tagged.mp3")
    track = loaded(await http.load_item("icy://" + url.removeprefix("http://")))
    assert track.info.identifier == url


async def test_open_stream_of_a_live_track_reconnects(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/live")))
    spec = await http.open_stream(track.info)
    assert spec.url == media_server.url("/live") and spec.is_live
    assert spec.options["reconnect_streamed"] == "1"
    assert spec.options["user_agent"] == http.probe.user_agent


async def test_open_stream_spec_plays_in_pyav(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/media/tone.ogg")))
    spec = await http.open_stream(track.info)
    assert not spec.is_live

    def first_frame_rate() -> int:
        with av.open(spec.url, options=spec.options, timeout=5.0) as media:
            frame = next(media.decode(audio=0))
            return int(frame.sample_rate)

    assert await asyncio.to_thread(first_frame_rate) == 48000


# --- playlists ------------------------------------------------------------------------------------------------------


async def test_m3u_radio_playlist_resolves_to_its_stream(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/radio.m3u")))
    assert track.info.identifier == media_server.url("/live")
    # The stream's own Icecast title wins over the playlist's, as in lavaplayer.
    assert (track.info.title, track.info.is_stream) == ("Best hits", True)


async def test_m3u_title_names_an_untagged_entry(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/titled.m3u")))
    assert track.info.identifier == media_server.url("/media/untagged.mp3")
    assert (track.info.title, track.info.author) == ("Playlist Title", "Unknown artist")


async def test_pls_resolves_to_its_first_file(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/radio.pls")))
    assert track.info.identifier == media_server.url("/media/untagged.mp3")
    assert track.info.title == "PLS Title"


async def test_plain_link_list_resolves_to_its_first_link(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/plain.txt")))
    assert track.info.identifier == media_server.url("/media/untagged.mp3")


async def test_playlist_without_links_fails(http: HttpSourceManager, media_server: MediaServer) -> None:
    error = failed(await http.load_item(media_server.url("/playlists/empty.m3u")))
    assert (error.message, error.severity) == ("The playlist file contains no links.", "common")


async def test_live_hls_is_a_stream_track(http: HttpSourceManager, media_server: MediaServer) -> None:
    url = media_server.url("/playlists/live.m3u8")
    track = loaded(await http.load_item(url))
    info = track.info
    assert (info.identifier, info.uri, info.is_stream, info.length_ms) == (url, url, True, STREAM_LENGTH_MS)
    assert (info.title, info.author) == ("Unknown title", "Unknown artist")
    assert container(track) == "m3u|hls-outer"
    assert (await http.open_stream(info)).is_live


async def test_finished_hls_has_the_sum_of_its_segments(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/vod.m3u8")))
    assert (track.info.is_stream, track.info.length_ms) == (False, 4000)


async def test_hls_track_plays_in_pyav(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/playlists/master.m3u8")))
    spec = await http.open_stream(track.info)

    def samples() -> int:
        with av.open(spec.url, options=spec.options, timeout=5.0) as media:
            return sum(frame.samples for frame in media.decode(audio=0))

    # Two segments of two seconds at 44.1 kHz (AAC adds a little priming).
    assert 2 * 2 * 44100 <= await asyncio.to_thread(samples) <= 2 * 2 * 44100 + 4096


async def test_hls_master_is_judged_by_its_first_variant(http: HttpSourceManager, media_server: MediaServer) -> None:
    url = media_server.url("/playlists/master.m3u8")
    track = loaded(await http.load_item(url))
    assert (track.info.identifier, track.info.is_stream, track.info.length_ms) == (url, False, 4000)


# --- failures -------------------------------------------------------------------------------------------------------


async def test_404_is_not_a_match(http: HttpSourceManager, media_server: MediaServer) -> None:
    assert await http.load_item(media_server.url("/media/missing.mp3")) is None


@pytest.mark.parametrize("code", [403, 500, 204])
async def test_other_status_is_not_playable(http: HttpSourceManager, media_server: MediaServer, code: int) -> None:
    error = failed(await http.load_item(media_server.url(f"/status/{code}")))
    assert (error.message, error.severity) == ("That URL is not playable.", "common")
    assert error.cause == f"Status code {code}"


async def test_html_page_is_an_unknown_format(http: HttpSourceManager, media_server: MediaServer) -> None:
    error = failed(await http.load_item(media_server.url("/page.html")))
    assert (error.message, error.severity) == ("Unknown file format.", "common")


async def test_refused_connection_fails_suspicious(http: HttpSourceManager, refused_url: str) -> None:
    error = failed(await http.load_item(refused_url))
    assert (error.message, error.severity) == ("Connecting to the URL failed.", "suspicious")
    assert "ClientConnectorError" in error.cause


async def test_silent_server_times_out(silent_url: str) -> None:
    http = HttpSourceManager(MediaProbe(connect_timeout_s=0.3, read_timeout_s=0.3))
    try:
        error = failed(await http.load_item(silent_url))
    finally:
        await http.close()
    assert (error.message, error.severity) == ("Connecting to the URL failed.", "suspicious")
    assert error.cause.startswith("TimeoutError")


async def test_url_without_host_is_invalid(http: HttpSourceManager) -> None:
    error = failed(await http.load_item("http://"))
    assert (error.message, error.severity) == ("Not a valid URL.", "common")


@pytest.mark.parametrize("identifier", ["ytsearch:never gonna", "/tmp/file.mp3", "ftp://host/file.mp3", "HTTPX://a"])
async def test_other_identifiers_are_not_ours(http: HttpSourceManager, identifier: str) -> None:
    assert await http.load_item(identifier) is None


async def test_open_stream_rejects_other_identifiers(http: HttpSourceManager, media_server: MediaServer) -> None:
    track = loaded(await http.load_item(media_server.url("/media/tagged.mp3")))
    with pytest.raises(ValueError, match="not an http track"):
        await http.open_stream(replace(track.info, identifier="/local/path"))
