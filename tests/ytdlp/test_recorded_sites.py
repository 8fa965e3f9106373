"""Each site's recorded yt-dlp answers, mapped to Lavalink's load results and tracks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from lavalink_py.protocol.load_result import NoMatches, PlaylistLoaded, SearchLoaded, TrackLoaded
from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from lavalink_py.protocol.track_codec import decode_track
from lavalink_py.sources.ytdlp.extraction import SKIP_BAD_ENTRIES
from tests.ytdlp.conftest import FakeClock
from tests.ytdlp.managers import build, load, ytdlp_manager
from tests.ytdlp.recorded import RecordedExtract

RECORDED_AT = 1763884800.0  # the `epoch` yt-dlp stamped on the recordings


@pytest.mark.parametrize(
    "identifier",
    [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
        "ytsearch:rick astley",
        "ytmsearch:never gonna",
        "https://www.youtube.com/watch?v=jfKfPfyJRdk",
        "https://soundcloud.com/forss/lucid-dream",
        "https://soundcloud.com/forss/sets/soulhack",
        "scsearch:forss",
        "https://blazo.bandcamp.com/album/jazz-format-mixtape-vol-1",
        "https://www.twitch.tv/Monstercat",
        "https://vimeo.com/56015672",
        "https://www.nicovideo.jp/watch/sm9",
    ],
)
async def test_every_track_decodes_to_what_was_encoded(
    executor: ThreadPoolExecutor, recorded: RecordedExtract, identifier: str
) -> None:
    loaded = await load(build(executor, recorded, FakeClock(RECORDED_AT)), identifier)
    assert loaded is not None
    result = loaded[1]
    match result:
        case TrackLoaded(track=track):
            tracks = [track]
        case PlaylistLoaded(tracks=tracks) | SearchLoaded(tracks=tracks):
            pass
        case _:
            raise AssertionError(f"{identifier} loaded as {result!r}")
    assert tracks
    for track in tracks:
        # Lavaplayer writes no source-specific bytes for any of these sources.
        assert track.info.details == b""
        assert decode_track(track.encoded) == track.info


async def test_youtube_video(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://youtu.be/dQw4w9WgXcQ")
    assert loaded is not None
    name, result = loaded
    assert name == "youtube"
    assert isinstance(result, TrackLoaded)
    assert result.track.info == TrackInfo(
        title="Rick Astley - Never Gonna Give You Up (Official Video) (4K Remaster)",
        author="Rick Astley",
        length_ms=213_000,
        identifier="dQw4w9WgXcQ",
        is_stream=False,
        uri="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_name="youtube",
        artwork_url="https://i.ytimg.com/vi/dQw4w9WgXcQ/maxresdefault.jpg",
        isrc=None,
    )
    assert result.track.encoded
    [(url, options)] = recorded.calls
    assert url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert options["noplaylist"] is True
    assert options["extract_flat"] is False


async def test_youtube_playlist_selects_the_linked_video(
    executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, PlaylistLoaded)
    assert result.name == "Top Music Videos"
    # The private entry is skipped, as youtube-source skips unplayable ones.
    assert [t.info.identifier for t in result.tracks] == ["fJ9rUzIMcZQ", "dQw4w9WgXcQ", "kJQP7kiw5Fk"]
    assert result.selected_track == 1
    first = result.tracks[0].info
    assert (first.author, first.length_ms, first.is_stream) == ("Queen Official", 359_000, False)
    assert first.artwork_url == "https://i.ytimg.com/vi/fJ9rUzIMcZQ/mqdefault.jpg"
    [(url, options)] = recorded.calls
    assert url == "https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI"
    assert options["extract_flat"] == "in_playlist"
    assert options["noplaylist"] is False
    assert options["playlistend"] == 600  # Lavalink's default playlistLoadLimit: 6 pages of 100


async def test_youtube_playlist_without_selection(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI")
    assert loaded is not None
    assert isinstance(loaded[1], PlaylistLoaded)
    assert loaded[1].selected_track == -1


async def test_youtube_search(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "ytsearch:rick astley")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, SearchLoaded)
    # The channel among the results is not a track.
    assert [t.info.identifier for t in result.tracks] == ["dQw4w9WgXcQ", "yPYZpwSpKmA", "jfKfPfyJRdk"]
    live = result.tracks[2].info
    assert live.is_stream and live.length_ms == STREAM_LENGTH_MS and not live.is_seekable
    [(url, options)] = recorded.calls
    assert url == "ytsearch20:rick astley"
    assert options["extract_flat"] == "in_playlist"
    assert options["playlistend"] == 20


async def test_youtube_search_without_results(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    assert await load(managers, "ytsearch:zzqxjv no such thing 0412") == ("youtube", NoMatches())


async def test_youtube_music_search_reads_each_song(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    clock = FakeClock(RECORDED_AT)
    managers = build(executor, recorded, clock)
    loaded = await load(managers, "ytmsearch:never gonna")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, SearchLoaded)
    infos = [t.info for t in result.tracks]
    assert [(i.title, i.author, i.length_ms) for i in infos] == [
        ("Never Gonna Give You Up", "Rick Astley", 213_000),
        ("Together Forever", "Rick Astley", 205_000),
    ]
    assert all(i.source_name == "youtube" for i in infos)
    [(_, options)] = recorded.calls
    assert options["extract_flat"] is False
    # Full extraction resolved the media too: playing a result costs no second extraction.
    youtube = ytdlp_manager(managers, "youtube")
    spec = await youtube.open_stream(infos[1])
    assert "o-BB" in spec.url and "itag=251" in spec.url
    assert len(recorded.calls) == 1


async def test_youtube_live(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://www.youtube.com/live/jfKfPfyJRdk")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, TrackLoaded)
    info = result.track.info
    assert info.is_stream and info.length_ms == STREAM_LENGTH_MS
    assert info.author == "Lofi Girl"
    assert info.artwork_url == "https://i.ytimg.com/vi/jfKfPfyJRdk/maxresdefault_live.jpg"
    spec = await ytdlp_manager(managers, "youtube").open_stream(info)
    assert spec.is_live
    assert "/itag/93/" in spec.url  # the lightest muxed rendition with full-rate audio
    assert spec.expires_in_s == 1763906400 - RECORDED_AT  # from the `/expire/<ts>/` path part


async def test_soundcloud_track(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://m.soundcloud.com/forss/lucid-dream")
    assert loaded is not None
    name, result = loaded
    assert name == "soundcloud"
    assert isinstance(result, TrackLoaded)
    assert result.track.info == TrackInfo(
        title="Lucid Dream",
        author="Forss",
        length_ms=215_040,
        identifier="1255372384",
        is_stream=False,
        uri="https://soundcloud.com/forss/lucid-dream",
        source_name="soundcloud",
        artwork_url="https://i1.sndcdn.com/artworks-000118212000-9sj1yv-original.jpg",
        isrc="GBKPL1500123",
    )
    spec = await ytdlp_manager(managers, "soundcloud").open_stream(result.track.info)
    assert "hls-opus" in spec.url  # Opus preferred over MP3
    assert len(recorded.calls) == 1


async def test_soundcloud_set_skips_unavailable_entries(
    executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://soundcloud.com/forss/sets/soulhack")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, PlaylistLoaded)
    assert result.name == "Soulhack"
    assert result.selected_track == -1
    assert [t.info.title for t in result.tracks] == ["Lucid Dream", "Flickermood", "Journeyman"]
    [(_, options)] = recorded.calls
    assert options["extract_flat"] is False
    assert options[SKIP_BAD_ENTRIES] is True


async def test_soundcloud_search(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "scsearch:forss")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, SearchLoaded)
    assert [(t.info.identifier, t.info.uri) for t in result.tracks] == [
        ("1255372384", "https://soundcloud.com/forss/lucid-dream"),
        ("1255372999", "https://soundcloud.com/forss/flickermood"),
        ("1255373111", "https://soundcloud.com/forss/journeyman"),
    ]
    assert result.tracks[2].info.length_ms == 328_000


async def test_bandcamp_track_and_album(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://blazo.bandcamp.com/track/intro")
    assert loaded is not None
    track = loaded[1]
    assert isinstance(track, TrackLoaded)
    assert track.track.info == TrackInfo(
        title="Intro",
        author="Blazo",
        length_ms=19_335,
        identifier="https://blazo.bandcamp.com/track/intro",
        is_stream=False,
        uri="https://blazo.bandcamp.com/track/intro",
        source_name="bandcamp",
        artwork_url="https://f4.bcbits.com/img/a1721150828_5.jpg",
    )
    album = await managers["bandcamp"].load_item("https://blazo.bandcamp.com/album/jazz-format-mixtape-vol-1")
    assert isinstance(album, PlaylistLoaded)
    assert album.name == "Jazz Format Mixtape vol.1"
    assert [t.info.length_ms for t in album.tracks] == [19_335, 169_333]
    spec = await managers["bandcamp"].open_stream(album.tracks[1].info)
    assert "/mp3-128/38097443" in spec.url
    assert spec.expires_in_s == 1800.0  # bcbits URLs carry no `expire`: the default TTL applies


async def test_twitch_live_channel(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://www.twitch.tv/Monstercat")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, TrackLoaded)
    assert result.track.info == TrackInfo(
        title="24/7 Music \U0001f3a7 Monstercat Radio",
        author="monstercat",
        length_ms=STREAM_LENGTH_MS,
        identifier="https://www.twitch.tv/Monstercat",
        is_stream=True,
        uri="https://www.twitch.tv/Monstercat",
        source_name="twitch",
        artwork_url="https://static-cdn.jtvnw.net/previews-ttv/live_user_monstercat-440x248.jpg",
    )
    spec = await managers["twitch"].open_stream(result.track.info)
    assert "Cqaudio_only" in spec.url and spec.is_live


async def test_twitch_offline_channel_is_empty(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    assert await load(managers, "https://www.twitch.tv/sleepychannel") == ("twitch", NoMatches())


async def test_vimeo_video(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://vimeo.com/56015672")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, TrackLoaded)
    info = result.track.info
    assert (info.identifier, info.uri, info.author, info.length_ms) == (
        "56015672", "https://vimeo.com/56015672", "Vimeo Staff", 10_000)
    assert info.artwork_url == "https://i.vimeocdn.com/video/440665496-b7b1e8d4c5e5"
    spec = await managers["vimeo"].open_stream(info)
    assert "audio-high" in spec.url
    assert "Referer: https://vimeo.com/\r\n" in spec.options["headers"]


async def test_niconico_video(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    loaded = await load(managers, "https://www.nicovideo.jp/watch/sm9")
    assert loaded is not None
    result = loaded[1]
    assert isinstance(result, TrackLoaded)
    info = result.track.info
    assert (info.identifier, info.uri, info.author, info.length_ms, info.source_name) == (
        "sm9", "https://www.nicovideo.jp/watch/sm9", "中の", 320_000, "niconico")
    assert info.artwork_url == "https://nicovideo.cdn.nimg.jp/thumbnails/9/9.L"
    spec = await managers["niconico"].open_stream(info)
    assert "Cookie: domand_bid=7f3c2a9e01b44c1d8e0b4f5a6c7d8e9f\r\n" in spec.options["headers"]
    assert spec.expires_in_s == 1763970000 - RECORDED_AT  # the CDN's `Expires=` parameter


async def test_identifiers_of_no_site_are_left_alone(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    assert await load(managers, "https://example.com/music/song.mp3") is None
    assert await load(managers, "spsearch:never gonna") is None
    assert recorded.calls == []


async def test_switches_decide_which_managers_exist(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    managers = build(executor, recorded, FakeClock(RECORDED_AT), youtube_search=False, soundcloud_search=False,
                     twitch=False, niconico=False)
    assert list(managers) == ["youtube", "soundcloud", "bandcamp", "vimeo"]
    assert await load(managers, "ytsearch:rick astley") is None
    assert await load(managers, "scsearch:forss") is None
    assert await load(managers, "https://www.twitch.tv/Monstercat") is None
    assert recorded.calls == []


async def test_tracks_lavaplayer_encoded_resolve_by_their_uri(
    executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    """Lavaplayer's SoundCloud identifiers are format lookups it can rebuild from the uri; so do we."""
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    from_lavalink = TrackInfo(
        "Lucid Dream", "Forss", 215_040,
        "O:https://api-v2.soundcloud.com/media/soundcloud:tracks:1255372384/0e5e2a9e/stream/hls", False,
        "https://soundcloud.com/forss/lucid-dream", "soundcloud",
    )
    spec = await managers["soundcloud"].open_stream(from_lavalink)
    assert "hls-opus" in spec.url
    assert recorded.urls() == ["https://soundcloud.com/forss/lucid-dream"]


# The track Lavalink's REST documentation shows, as a Lavalink server encoded it.
LAVALINK_ENCODED_YOUTUBE = (
    "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0"
    "dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA=="
)


async def test_a_track_lavalink_encoded_plays_here(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    info = decode_track(LAVALINK_ENCODED_YOUTUBE)
    assert (info.source_name, info.identifier) == ("youtube", "dQw4w9WgXcQ")
    managers = build(executor, recorded, FakeClock(RECORDED_AT))
    spec = await managers[info.source_name].open_stream(info)
    assert "itag=251" in spec.url
    assert recorded.urls() == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
