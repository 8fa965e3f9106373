"""Which identifiers each site claims (lavaplayer's and youtube-source's URL shapes), and which it leaves alone."""

from __future__ import annotations

import pytest

from lavalink_py.sources.ytdlp.site import Collection, Nothing, Route, Search, Single, Site, rebase
from lavalink_py.sources.ytdlp.sites.bandcamp import BandcampSite
from lavalink_py.sources.ytdlp.sites.simple import NiconicoSite, TwitchSite, VimeoSite
from lavalink_py.sources.ytdlp.sites.soundcloud import SoundcloudSite
from lavalink_py.sources.ytdlp.sites.youtube import YoutubeSite

YT = "https://www.youtube.com"


@pytest.mark.parametrize(
    ("identifier", "route"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("youtube.com/watch?v=dQw4w9WgXcQ&t=42", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/live/jfKfPfyJRdk", Single(f"{YT}/watch?v=jfKfPfyJRdk", "jfKfPfyJRdk")),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("dQw4w9WgXcQ", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
         Collection(f"{YT}/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ",
         Collection(f"{YT}/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ", "dQw4w9WgXcQ")),
        # Liked videos need an account: the video plays alone.
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=LL", Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")),
        ("https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
         Collection(f"{YT}/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI")),
        ("PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI", Collection(f"{YT}/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI")),
        ("ytsearch: rick astley ", Search("ytsearch20:rick astley", 20)),
        ("ytmsearch:never gonna", Search("https://music.youtube.com/search?q=never+gonna#songs", 5, flat=False)),
        ("ytsearch:   ", Nothing()),
        ("https://www.youtube.com/watch?v=short", Nothing()),
    ],
)
def test_youtube_claims(identifier: str, route: Route) -> None:
    assert YoutubeSite().route(identifier) == route


@pytest.mark.parametrize(
    "identifier",
    [
        "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
        "https://soundcloud.com/forss/flickermood",
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "scsearch:rick",
        "dQw4w9WgXcQ0",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    ],
)
def test_youtube_leaves_others(identifier: str) -> None:
    assert YoutubeSite().route(identifier) is None


def test_youtube_search_switch() -> None:
    site = YoutubeSite(search_enabled=False)
    assert site.route("ytsearch:rick") is None
    assert site.route("ytmsearch:rick") is None
    assert site.route("dQw4w9WgXcQ") == Single(f"{YT}/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ")


def test_youtube_direct_ids_can_be_refused() -> None:
    site = YoutubeSite(allow_direct_video_ids=False, allow_direct_playlist_ids=False)
    assert site.route("dQw4w9WgXcQ") is None
    assert site.route("PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI") is None


@pytest.mark.parametrize(
    ("identifier", "route"),
    [
        ("https://soundcloud.com/forss/flickermood", Single("https://soundcloud.com/forss/flickermood")),
        ("https://m.soundcloud.com/forss/flickermood?in=x", Single("https://soundcloud.com/forss/flickermood?in=x")),
        ("soundcloud.com/forss/flickermood", Single("https://soundcloud.com/forss/flickermood")),
        ("https://soundcloud.com/forss/private-one/s-AbCdE", Single("https://soundcloud.com/forss/private-one/s-AbCdE")),
        ("https://on.soundcloud.com/SvzBNGLzuMXpZgKR7", Single("https://on.soundcloud.com/SvzBNGLzuMXpZgKR7")),
        ("https://soundcloud.com/forss/sets/soulhack",
         Collection("https://soundcloud.com/forss/sets/soulhack", flat=False)),
        ("https://www.soundcloud.com/forss/likes", Collection("https://soundcloud.com/forss/likes", flat=False)),
        ("scsearch:forss", Search("scsearch10:forss", 10)),
        ("scsearch[5,3]: forss ", Search("scsearch8:forss", 3, 5)),
        ("scsearch:", Nothing()),
    ],
)
def test_soundcloud_claims(identifier: str, route: Route) -> None:
    assert SoundcloudSite().route(identifier) == route


@pytest.mark.parametrize(
    "identifier",
    ["https://soundcloud.com/forss", "https://www.youtube.com/watch?v=dQw4w9WgXcQ", "scsearch[x]:y", "ytsearch:x"],
)
def test_soundcloud_leaves_others(identifier: str) -> None:
    assert SoundcloudSite().route(identifier) is None


def test_soundcloud_search_switch() -> None:
    assert SoundcloudSite(search_enabled=False).route("scsearch:forss") is None


@pytest.mark.parametrize(
    ("site", "identifier", "route"),
    [
        (BandcampSite(), "https://blazo.bandcamp.com/track/intro", Single("https://blazo.bandcamp.com/track/intro")),
        (BandcampSite(), "https://blazo.bandcamp.com/track/intro/?from=search",
         Single("https://blazo.bandcamp.com/track/intro")),
        (BandcampSite(), "https://blazo.bandcamp.com/album/jazz-format-mixtape-vol-1",
         Collection("https://blazo.bandcamp.com/album/jazz-format-mixtape-vol-1", flat=False)),
        (TwitchSite(), "https://www.twitch.tv/Monstercat",
         Single("https://www.twitch.tv/Monstercat", "https://www.twitch.tv/Monstercat")),
        (TwitchSite(), "https://go.twitch.tv/monstercat",
         Single("https://go.twitch.tv/monstercat", "https://go.twitch.tv/monstercat")),
        (VimeoSite(), "https://vimeo.com/56015672", Single("https://vimeo.com/56015672", "56015672")),
        (VimeoSite(), "https://player.vimeo.com/video/56015672?h=1", Single("https://vimeo.com/56015672", "56015672")),
        (NiconicoSite(), "https://www.nicovideo.jp/watch/sm9", Single("https://www.nicovideo.jp/watch/sm9", "sm9")),
        (NiconicoSite(), "nicovideo.jp/watch/so38016254?ref=x",
         Single("https://www.nicovideo.jp/watch/so38016254", "so38016254")),
    ],
)
def test_single_url_sites_claim(site: Site, identifier: str, route: Route) -> None:
    assert site.route(identifier) == route


@pytest.mark.parametrize(
    ("site", "identifier"),
    [
        (BandcampSite(), "https://bandcamp.com/search?q=x"),
        (BandcampSite(), "https://blazo.bandcamp.com/"),
        (TwitchSite(), "https://www.twitch.tv/videos/2000000000"),
        (TwitchSite(), "http://www.twitch.tv/monstercat"),
        (VimeoSite(), "https://vimeo.com/channels/staffpicks"),
        (NiconicoSite(), "https://www.nicovideo.jp/mylist/1"),
        (NiconicoSite(), "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ],
)
def test_single_url_sites_leave_others(site: Site, identifier: str) -> None:
    assert site.route(identifier) is None


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://www.youtube.com/watch?v=x", None, "https://www.youtube.com/watch?v=x"),
        ("https://www.youtube.com/watch?v=x", "http://127.0.0.1:8080", "http://127.0.0.1:8080/watch?v=x"),
        ("https://soundcloud.com/a/b", "http://127.0.0.1:1/sc/", "http://127.0.0.1:1/sc/a/b"),
        ("ytsearch20:x", "http://127.0.0.1:1", "ytsearch20:x"),
    ],
)
def test_rebase_points_requests_at_a_test_server(url: str, base: str | None, expected: str) -> None:
    assert rebase(url, base) == expected
