"""The lavasrc plugin's pure parts: matching, the cache, LavaSrc's track details, the mirror's provider order."""

from __future__ import annotations

from typing import Any

import pytest

from lavalink_py.bundled.lavasrc import applemusic, deezer, spotify
from lavalink_py.bundled.lavasrc.cache import TtlCache
from lavalink_py.bundled.lavasrc.config import LavaSrcConfig
from lavalink_py.bundled.lavasrc.matching import Wanted, best_match
from lavalink_py.bundled.lavasrc.mirror import MirrorResolver
from lavalink_py.bundled.lavasrc.tracks import ServiceTrack, decode_details, to_track
from lavalink_py.config import ConfigError, bind_section
from lavalink_py.metrics.counters import FallbackStats
from lavalink_py.plugins.api import (
    FriendlyError,
    LoadFailed,
    LoadResult,
    NoMatches,
    SearchLoaded,
    Track,
    TrackInfo,
    make_track,
)
from lavalink_py.protocol.track_codec import decode_track

WANTED = Wanted("Harbour Lights", "The Quiet Tides", 200_000, "GBAYE2400001")


def candidate(title: str, author: str = "someone", length_ms: int = 200_000, isrc: str | None = None) -> Track:
    return make_track(TrackInfo(title, author, length_ms, title, False, None, "mirror", None, isrc))


def test_the_isrc_match_wins_over_a_decoy_listed_first() -> None:
    decoy, real = candidate("Harbour Lights", "The Quiet Tides"), candidate("x", isrc="gbaye2400001")
    assert best_match(WANTED, [decoy, real], tolerance_ms=5000, by_isrc=True) is real
    assert best_match(WANTED, [decoy, real], tolerance_ms=5000, by_isrc=False) is real


def test_another_recordings_isrc_is_never_chosen() -> None:
    other = candidate("Harbour Lights", "The Quiet Tides", isrc="USXXX0000000")
    assert best_match(WANTED, [other], tolerance_ms=5000, by_isrc=False) is None


def test_an_isrc_query_takes_the_first_result_of_about_the_right_length() -> None:
    long, right = candidate("a", length_ms=400_000), candidate("b", length_ms=203_000)
    assert best_match(WANTED, [long, right], tolerance_ms=5000, by_isrc=True) is right


def test_a_text_query_needs_the_title_and_prefers_the_artist_and_the_closer_length() -> None:
    cover = candidate("Harbour Lights (cover)", "Karaoke Kid", 200_500)
    official = candidate("The Quiet Tides - Harbour Lights (Official Video)", "QuietTidesVEVO", 202_000)
    other = candidate("Low Water", "The Quiet Tides", 200_000)
    far = candidate("Harbour Lights", "The Quiet Tides", 260_000)
    assert best_match(WANTED, [cover, official, other, far], tolerance_ms=5000, by_isrc=False) is official
    assert best_match(WANTED, [other, far], tolerance_ms=5000, by_isrc=False) is None


def test_the_cache_expires_and_evicts_the_least_recently_used() -> None:
    now = [0.0]
    cache: TtlCache[str, int] = TtlCache(10, 2, clock=lambda: now[0])
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    now[0] = 10.0
    assert cache.get("a") is None and len(cache) == 1
    off: TtlCache[str, int] = TtlCache(0, 10)
    off.put("a", 1)
    assert off.get("a") is None


def test_lavasrc_details_survive_the_encoded_track() -> None:
    track = to_track("spotify", ServiceTrack(
        "Harbour Lights", "The Quiet Tides", 200_000, "4uLU6hMCjMI75M1A2tKUQC", "https://open.spotify.com/track/x",
        "https://i.scdn.co/image/a", "GBAYE2400001", "Low Water — ✓", None, "https://open.spotify.com/artist/y",
        None, "https://p.scdn.co/mp3-preview/z", True,
    ))
    decoded = decode_track(track.encoded)
    assert decoded.source_name == "spotify" and decoded.isrc == "GBAYE2400001"
    assert decode_details(decoded.details) == track.plugin_info == {
        "albumName": "Low Water — ✓", "albumUrl": None, "artistUrl": "https://open.spotify.com/artist/y",
        "artistArtworkUrl": None, "previewUrl": "https://p.scdn.co/mp3-preview/z", "isPreview": True,
    }
    assert decode_details(b"") is None
    assert decode_details(decoded.details[:-1]) is None


class Providers:
    def __init__(self, answers: dict[str, LoadResult | Exception]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def load(self, identifier: str) -> LoadResult:
        self.asked.append(identifier)
        answer = self.answers.get(identifier, NoMatches())
        if isinstance(answer, Exception):
            raise answer
        return answer


INFO = TrackInfo("Harbour Lights", "The Quiet Tides", 200_000, "id1", False, None, "spotify", None, "GBAYE2400001")


async def test_providers_in_order_past_a_raising_and_a_failing_one() -> None:
    real = candidate("Harbour Lights", "The Quiet Tides")
    providers = Providers({
        "bad:Harbour Lights The Quiet Tides": RuntimeError("down"),
        'yt:"GBAYE2400001"': LoadFailed(FriendlyError("rate limited")),
        "yt:Harbour Lights The Quiet Tides": SearchLoaded([real]),
    })
    stats = FallbackStats()
    resolver = MirrorResolver(
        ["bad:%QUERY%", "spsearch:%QUERY%", 'yt:"%ISRC%"', "yt:%QUERY%"], providers.load, stats, TtlCache(60, 10),
        tolerance_ms=5000, own_prefixes=("spsearch:",),
    )
    assert await resolver.resolve(INFO) is real
    assert providers.asked == ["bad:Harbour Lights The Quiet Tides", 'yt:"GBAYE2400001"',
                               "yt:Harbour Lights The Quiet Tides"]  # spsearch: is never a provider
    assert await resolver.resolve(INFO) is real  # from the cache
    assert len(providers.asked) == 3
    assert dict(stats.conversions.items()) == {("spotify", "success"): 1}
    assert (dict(stats.cache_hits.items()), dict(stats.cache_misses.items())) == ({"spotify": 1}, {"spotify": 1})


async def test_no_isrc_skips_the_isrc_provider_and_no_match_is_a_counted_failure() -> None:
    providers = Providers({})
    stats = FallbackStats()
    resolver = MirrorResolver(['yt:"%ISRC%"', "yt:%QUERY%"], providers.load, stats, TtlCache(60, 10),
                              tolerance_ms=5000)
    info = TrackInfo("Song", "unknown", 1000, "id2", False, None, "deezer")
    with pytest.raises(FriendlyError, match="No playable mirror found for Song"):
        await resolver.resolve(info)
    assert providers.asked == ["yt:Song"]  # the author "unknown" is left out of the query, as LavaSrc does
    assert dict(stats.conversions.items()) == {("deezer", "failure"): 1}


@pytest.mark.parametrize(("url", "kind", "ident"), [
    ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=1", "track", "4uLU6hMCjMI75M1A2tKUQC"),
    ("https://open.spotify.com/intl-de/album/6akEvsycLGftJxYudPjmqK", "album", "6akEvsycLGftJxYudPjmqK"),
    ("spotify:playlist:37i9dQZF1DXcBWIGoYBM5M", "playlist", "37i9dQZF1DXcBWIGoYBM5M"),
])
def test_spotify_links(url: str, kind: str, ident: str) -> None:
    match = spotify.URL.match(url)
    assert match is not None and (match["type"], match["id"]) == (kind, ident)


def test_apple_music_and_deezer_links() -> None:
    apple = applemusic.URL.match("https://music.apple.com/us/album/low-water/1440857781?i=1440857790")
    assert apple is not None and (apple["cc"], apple["type"], apple["id"], apple["query"]) == (
        "us", "album", "1440857781", "i=1440857790")
    dz = deezer.URL.match("https://www.deezer.com/en/playlist/908622995")
    assert dz is not None and (dz["type"], dz["id"]) == ("playlist", "908622995")
    assert deezer.URL.match("https://www.deezer.com/en/show/1") is None


@pytest.mark.parametrize(("section", "message"), [
    ({"providers": []}, "plugins.lavasrc.providers"),
    ({"providers": ["ytsearch:%QUERY%", " "]}, r"plugins.lavasrc.providers\[1\]"),
    ({"cache": {"ttlSeconds": -1}}, "plugins.lavasrc.cache.ttlSeconds"),
    ({"cache": {"maxEntries": -1}}, "plugins.lavasrc.cache.maxEntries"),
    ({"spotify": {"playlistLoadLimit": 0}}, "plugins.lavasrc.spotify.playlistLoadLimit"),
    ({"matching": {"requestTimeoutSeconds": 0}}, "plugins.lavasrc.matching.requestTimeoutSeconds"),
])
def test_bad_values_are_refused_naming_the_key(section: dict[str, Any], message: str) -> None:
    # The ranges are the fields' own (setting(lo=...)): the binder refuses them, as for the node's settings.
    with pytest.raises(ConfigError, match=message):
        bind_section(LavaSrcConfig, section, "plugins.lavasrc")


def test_lavasrcs_own_config_binds() -> None:
    config, unknown = bind_section(LavaSrcConfig, {
        "providers": ['ytsearch:"%ISRC%"', "ytsearch:%QUERY%"],
        "sources": {"spotify": True, "applemusic": False, "deezer": True, "youtube": True},
        "spotify": {"clientId": "a", "clientSecret": "b", "spDc": "c", "countryCode": "DE",
                    "playlistLoadLimit": 6, "albumLoadLimit": 6, "resolveArtistsInSearch": True, "localFiles": False},
        "applemusic": {"countryCode": "US", "mediaAPIToken": "t", "keyID": "k", "teamID": "t", "musicKitKey": "m",
                       "playlistLoadLimit": 6, "albumLoadLimit": 6},
        "deezer": {"masterDecryptionKey": "x", "arl": "y", "formats": ["FLAC", "MP3_320"]},
    }, "plugins.lavasrc")
    assert unknown == []
    assert config.spotify.client_id == "a" and config.applemusic.key_id == "k"
    assert config.deezer.formats == ("FLAC", "MP3_320")
