"""The bundled lavasrc plugin on a real node: Spotify, Apple Music and Deezer metadata from local servers that speak
their APIs, played through a mirror provider (a third-party plugin in the plugins folder) into the fake Discord
voice server, heard by a DAVE listener."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import lavalink
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.fakes.music import mirror_plugin
from tests.fakes.music.catalog import Catalog, Mirror, Song
from tests.fakes.music.servers import (
    APPLE_TOKEN,
    CLIENT_ID,
    CLIENT_SECRET,
    AppleAuth,
    Served,
    SpotifyTokens,
    apple_routes,
    deezer_routes,
    mirror_routes,
    serve,
    spotify_routes,
)
from tests.lavalink_bot import join, lavalink_bot
from tests.media import serve_directory, write_audio
from tests.node import USER_ID, RunningNode, running_nodes
from tests.voice.audio import snr_db, sweep

GUILD, CHANNEL, LISTENER = 111, 222, 444
SECONDS = 3.0
# Far above what the decoy (a 1 kHz tone) or the other track would give against the sweep (below 0 dB), and
# tolerant of a frame lost on a loaded machine.
HEARD_DB = 20.0

HARBOUR = Song("4uLU6hMCjMI75M1A2tKUQC", "1440857781", 3135556, "Harbour Lights", "The Quiet Tides",
               "0OdUWJ0sBjDrqHygGUXeCF", "Low Water", "6akEvsycLGftJxYudPjmqK", 3000, "GBAYE2400001")
NORTHERN = Song("7ouMYWpwJ422jRcDASZB7P", "1440857790", 3135560, "Northern Road", "Mira Vale",
                "3WrFJ7ztbogyGnTHbHJFl2", "Far Country", "1ATL5GLyefJaxhQzSPVrLX", 3000, "USXYZ2400002")
UNHEARD = Song("0VjIjW4GlUZAMYd2vXMi3b", "1440857799", 3135570, "Unheard Song", "Nobody",
               "1dfeR4HaWDbWqFHLkxsg1d", "Void", "4aawyAB9vmqN3uQ7FjRGTy", 3000, "FRZZZ2400003")
# Its ISRC mirror is a removed video (the media is gone); a words match is playable.
REMOVED = Song("2takcwOaAZWiXQijPHIx7B", "1440857801", 3135580, "Tide Turns", "Ada Lowe",
               "6sFIWsNpZYqfjUpaCgueju", "Ebb", "5dGWwsZ9iB2Xc3UKR0gif2", 3000, "GBREM2400004")
PLAYLIST_ID = "37i9dQZF1DXcBWIGoYBM5M"
DEEZER_PLAYLIST_ID = "908622995"


def media_of(url: str, name: str) -> str:
    return f"{url}/{name}"


@dataclass
class World:
    node: RunningNode
    spotify: Served
    spotify_tokens: SpotifyTokens
    apple: Served
    deezer: Served
    mirror: Served


def decoy_tone(seconds: float) -> np.ndarray[Any, Any]:
    t = np.arange(int(seconds * 48000)) / 48000
    return (0.4 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


async def start_world(tmp_path: Path, providers: list[str], apple_auth: AppleAuth | None = None,
                      applemusic: dict[str, Any] | None = None, ratelimit: dict[str, Any] | None = None
                      ) -> AsyncIterator[World]:
    """`ratelimit`: the node's `lavalink.server.ratelimit` (the route planner tests)."""
    mono = sweep(SECONDS)
    write_audio(tmp_path / "harbour.mp3", samples=np.stack([mono, mono]), rate=48000)
    write_audio(tmp_path / "northern.mp3", samples=np.stack([mono[::-1], mono[::-1]]), rate=48000)
    decoy = decoy_tone(SECONDS)
    write_audio(tmp_path / "decoy.mp3", samples=np.stack([decoy, decoy]), rate=48000)
    (tmp_path / "plugins").mkdir()
    shutil.copy(mirror_plugin.__file__, tmp_path / "plugins" / "mirrorfake.py")
    async with AsyncExitStack() as stack:
        media = await stack.enter_async_context(serve_directory(tmp_path))
        catalog = Catalog(
            songs=[HARBOUR, NORTHERN, UNHEARD, REMOVED],
            playlists={PLAYLIST_ID: ("Quiet Songs", "Tester", [HARBOUR, NORTHERN]),
                       DEEZER_PLAYLIST_ID: ("Quiet Songs", "Tester", [HARBOUR, NORTHERN])},
            mirrors=[
                # Listed first for HARBOUR's ISRC, same title, artist and length, but no ISRC: a decoy.
                Mirror("decoy1", "Harbour Lights", "The Quiet Tides", 3000, media_of(media, "decoy.mp3"),
                       isrc_hits=(HARBOUR.isrc,), words=("harbour", "lights", "the", "quiet", "tides")),
                Mirror("real1", "The Quiet Tides - Harbour Lights", "QuietTidesVEVO", 3010,
                       media_of(media, "harbour.mp3"), isrc=HARBOUR.isrc, isrc_hits=(HARBOUR.isrc,)),
                # Found by words only (the ISRC search has nothing for it).
                Mirror("real2", "Mira Vale - Northern Road (Official Audio)", "Mira Vale", 3050,
                       media_of(media, "northern.mp3"),
                       words=("mira", "vale", "-", "northern", "road", "(official", "audio)")),
                Mirror("gone4", "Tide Turns", "Ada Lowe", 3000, media_of(media, "removed.mp3"), isrc=REMOVED.isrc,
                       isrc_hits=(REMOVED.isrc,)),
                Mirror("real4", "Ada Lowe - Tide Turns", "Ada Lowe", 3000, media_of(media, "harbour.mp3"),
                       words=("ada", "lowe", "-", "tide", "turns")),
            ],
        )
        tokens = SpotifyTokens()
        spotify = await stack.enter_async_context(serve(lambda base: spotify_routes(catalog, base, tokens)))
        apple = await stack.enter_async_context(serve(lambda base: apple_routes(catalog, apple_auth or AppleAuth())))
        deezer = await stack.enter_async_context(serve(lambda base: deezer_routes(catalog)))
        mirror = await stack.enter_async_context(serve(lambda base: mirror_routes(catalog)))
        start = await stack.enter_async_context(running_nodes())
        node = await start({
            "lavalink": {"pluginsDir": str(tmp_path / "plugins"),
                         **({"server": {"ratelimit": ratelimit}} if ratelimit else {})},
            "plugins": {
                "mirrorfake": {"url": mirror.url},
                "lavasrc": {
                    "providers": providers,
                    "sources": {"spotify": True, "applemusic": True, "deezer": True},
                    "spotify": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "countryCode": "GB",
                                "apiUrl": f"{spotify.url}/v1", "tokenUrl": f"{spotify.url}/api/token"},
                    "applemusic": {"apiUrl": f"{apple.url}/v1", "countryCode": "gb",
                                   **(applemusic if applemusic is not None else {"mediaAPIToken": APPLE_TOKEN})},
                    "deezer": {"apiUrl": deezer.url},
                },
            },
        })
        yield World(node, spotify, tokens, apple, deezer, mirror)


PROVIDERS = ['mirrorsearch:"%ISRC%"', "mirrorsearch:%QUERY%"]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path, PROVIDERS):
        yield w


async def load(world: World, identifier: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(
        world.node.url + "/v4/loadtracks", params={"identifier": identifier}, headers=world.node.auth
    ) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


async def fallback_metrics(world: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(world.node.url + "/metrics",
                                                         headers=world.node.auth) as response:
        text = await response.text()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text) if family.name.startswith("lavalink_fallback")
        for sample in family.samples
    }


async def hear_tracks(node: RunningNode, identifier: str, count: int) -> list[np.ndarray[Any, Any]]:
    """Load `identifier` through lavalink.py, play its first `count` tracks one after the other, each into a fresh
    fake voice channel; what the listener decoded for each."""
    heard = []
    async with lavalink_bot(node) as bot:
        result = await bot.client.get_tracks(identifier)
        assert result.load_type in (lavalink.LoadType.PLAYLIST, lavalink.LoadType.TRACK), result
        for track in result.tracks[:count]:
            async with FakeVoiceServer(
                guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,)
            ) as server:
                player = bot.client.player_manager.create(GUILD)
                await join(player, server)
                await player.play(track)
                ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS + 20)
                assert ended.reason == lavalink.EndReason.FINISHED, ended
                await server.wait_for(lambda: server.speaking[-1:] == [0], 5)
                listener = server.listeners[LISTENER]
                assert listener.dave_failures == 0
                heard.append(listener.pcm())
                await bot.client.player_manager.destroy(GUILD)
    return heard


async def test_a_spotify_playlist_loads_with_the_services_metadata(world: World) -> None:
    url = f"https://open.spotify.com/playlist/{PLAYLIST_ID}?si=abc"
    body = await load(world, url)
    assert body["loadType"] == "playlist"
    data = body["data"]
    assert data["info"] == {"name": "Quiet Songs", "selectedTrack": -1}
    assert data["pluginInfo"] == {"type": "playlist", "url": f"https://open.spotify.com/playlist/{PLAYLIST_ID}",
                                  "artworkUrl": f"https://mosaic.scdn.co/640/{PLAYLIST_ID}", "author": "Tester",
                                  "totalTracks": 2}
    first = data["tracks"][0]
    assert first["info"] == {
        "identifier": HARBOUR.spotify_id, "isSeekable": True, "author": "The Quiet Tides", "length": 3000,
        "isStream": False, "position": 0, "title": "Harbour Lights",
        "uri": f"https://open.spotify.com/track/{HARBOUR.spotify_id}", "sourceName": "spotify",
        "artworkUrl": f"https://i.scdn.co/image/{HARBOUR.album_spotify_id}-640", "isrc": HARBOUR.isrc,
    }
    assert first["pluginInfo"] == {
        "albumName": "Low Water", "albumUrl": f"https://open.spotify.com/album/{HARBOUR.album_spotify_id}",
        "artistUrl": f"https://open.spotify.com/artist/{HARBOUR.artist_spotify_id}", "artistArtworkUrl": None,
        "previewUrl": f"https://p.scdn.co/mp3-preview/{HARBOUR.spotify_id}", "isPreview": False,
    }
    assert [t["info"]["isrc"] for t in data["tracks"]] == [HARBOUR.isrc, NORTHERN.isrc]
    # The token was asked once, with the client-credentials flow, and the API with it.
    assert world.spotify.count("POST /api/token") == 1
    # The pluginInfo survives the encoded string: decoding shows it again.
    async with aiohttp.ClientSession() as http, http.get(
        world.node.url + "/v4/decodetrack", params={"encodedTrack": first["encoded"]}, headers=world.node.auth
    ) as response:
        decoded = await response.json()
    assert decoded["pluginInfo"] == first["pluginInfo"]
    assert decoded["info"] == first["info"]


async def test_the_playlists_tracks_play_through_the_mirror_isrc_before_the_decoy(world: World) -> None:
    harbour, northern = await hear_tracks(world.node, f"https://open.spotify.com/playlist/{PLAYLIST_ID}", 2)
    reference = sweep(SECONDS)
    assert len(harbour) >= 0.9 * SECONDS * 48000
    # The ISRC search listed the decoy (a 1 kHz tone) first; the track carrying the ISRC was played.
    assert snr_db(reference, harbour) >= HEARD_DB
    # Northern Road had no ISRC hit: the %QUERY% provider found it by title and artist.
    assert len(northern) >= 0.9 * SECONDS * 48000
    assert snr_db(reference[::-1].copy(), northern) >= HEARD_DB
    queries = [r for r in world.mirror.requests if r.startswith("GET /mirror/search")]
    assert len(queries) == 3  # Harbour by ISRC; Northern by ISRC (nothing), then by words
    metrics = await fallback_metrics(world)
    assert metrics[("lavalink_fallback_conversions_total", (("result", "success"), ("service", "spotify")))] == 2
    assert metrics[("lavalink_fallback_search_duration_seconds_count", (("service", "spotify"),))] == 2


async def test_a_second_load_and_a_second_play_come_from_the_cache(world: World) -> None:
    url = f"https://open.spotify.com/playlist/{PLAYLIST_ID}"
    first, second = await load(world, url), await load(world, url)
    assert first == second
    assert world.spotify.count(f"GET /v1/playlists/{PLAYLIST_ID}") == 1
    metrics = await fallback_metrics(world)
    assert metrics[("lavalink_fallback_cache_hits_total", (("service", "spotify"),))] == 1
    assert metrics[("lavalink_fallback_cache_misses_total", (("service", "spotify"),))] == 1
    track_url = f"https://open.spotify.com/track/{HARBOUR.spotify_id}"
    for heard in (await hear_tracks(world.node, track_url, 1), await hear_tracks(world.node, track_url, 1)):
        assert snr_db(sweep(SECONDS), heard[0]) >= HEARD_DB
    assert world.mirror.count("GET /mirror/search") == 1  # the second play's mirror came from the cache
    metrics = await fallback_metrics(world)
    # playlist load: miss, hit; track load: miss, hit; mirror: miss, hit.
    assert metrics[("lavalink_fallback_cache_hits_total", (("service", "spotify"),))] == 3
    assert metrics[("lavalink_fallback_conversions_total", (("result", "success"), ("service", "spotify")))] == 1


async def test_a_failing_first_provider_falls_back_to_the_next(tmp_path: Path) -> None:
    async for world in start_world(tmp_path, ["brokensearch:%QUERY%", *PROVIDERS]):
        [heard] = await hear_tracks(world.node, f"https://open.spotify.com/track/{HARBOUR.spotify_id}", 1)
        assert snr_db(sweep(SECONDS), heard) >= HEARD_DB
        assert world.mirror.count("GET /mirror/broken") == 1
        metrics = await fallback_metrics(world)
        assert metrics[("lavalink_fallback_conversions_total", (("result", "success"), ("service", "spotify")))] == 1


async def test_a_mirror_that_cannot_be_opened_falls_back_to_the_next_provider(world: World) -> None:
    [heard] = await hear_tracks(world.node, f"https://open.spotify.com/track/{REMOVED.spotify_id}", 1)
    assert snr_db(sweep(SECONDS), heard) >= HEARD_DB
    # The providers are asked again in order with the removed one set aside: the ISRC search has nothing else.
    assert [r for r in world.mirror.requests if r.startswith("GET /mirror/search")] == [
        f"GET /mirror/search?q=%22{REMOVED.isrc}%22", f"GET /mirror/search?q=%22{REMOVED.isrc}%22",
        "GET /mirror/search?q=Tide+Turns+Ada+Lowe"]


async def test_a_track_without_a_mirror_ends_load_failed_and_counts_a_failure(world: World) -> None:
    async with lavalink_bot(world.node) as bot:
        result = await bot.client.get_tracks(f"https://open.spotify.com/track/{UNHEARD.spotify_id}")
        assert result.load_type == lavalink.LoadType.TRACK
        player = bot.client.player_manager.create(GUILD)
        await player.play(result.tracks[0])
        failed = await bot.events.wait(lavalink.TrackExceptionEvent, timeout=20)
        assert "No playable mirror found for Unheard Song by Nobody" in str(failed.message)
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=20)
        assert ended.reason == lavalink.EndReason.LOAD_FAILED
    metrics = await fallback_metrics(world)
    assert metrics[("lavalink_fallback_conversions_total", (("result", "failure"), ("service", "spotify")))] == 1


async def test_spotify_album_artist_search_and_recommendations(world: World) -> None:
    album = await load(world, f"https://open.spotify.com/album/{HARBOUR.album_spotify_id}")
    assert album["loadType"] == "playlist"
    assert album["data"]["info"]["name"] == "Low Water"
    assert album["data"]["pluginInfo"]["type"] == "album"
    assert [t["info"]["isrc"] for t in album["data"]["tracks"]] == [HARBOUR.isrc]  # from /v1/tracks?ids=
    assert world.spotify.count(f"GET /v1/tracks?ids={HARBOUR.spotify_id}") == 1
    artist = await load(world, f"spotify:artist:{NORTHERN.artist_spotify_id}")
    assert artist["data"]["info"]["name"] == "Mira Vale's Top Tracks"
    assert artist["data"]["pluginInfo"]["type"] == "artist"
    assert artist["data"]["tracks"][0]["pluginInfo"]["artistArtworkUrl"] == (
        f"https://i.scdn.co/image/{NORTHERN.artist_spotify_id}")
    search = await load(world, "spsearch:northern road")
    assert search["loadType"] == "search"
    assert [t["info"]["title"] for t in search["data"]] == ["Northern Road"]
    recs = await load(world, f"sprec:seed_tracks={HARBOUR.spotify_id}")
    assert recs["loadType"] == "playlist"
    assert recs["data"]["pluginInfo"]["type"] == "recommendations"
    assert HARBOUR.isrc not in [t["info"]["isrc"] for t in recs["data"]["tracks"]]
    assert (await load(world, "https://open.spotify.com/track/0000000000000000000000"))["loadType"] == "empty"


async def test_a_revoked_spotify_token_is_renewed_once(world: World) -> None:
    assert (await load(world, f"spotify:track:{HARBOUR.spotify_id}"))["loadType"] == "track"
    world.spotify_tokens.revoked.add(world.spotify_tokens.issued[-1])
    assert (await load(world, f"spotify:track:{NORTHERN.spotify_id}"))["loadType"] == "track"
    assert world.spotify.count("POST /api/token") == 2


async def test_apple_music_song_album_link_playlist_pages_and_search(world: World) -> None:
    song = await load(world, f"https://music.apple.com/gb/song/harbour-lights/{HARBOUR.apple_id}")
    assert song["loadType"] == "track"
    info = song["data"]["info"]
    assert (info["sourceName"], info["title"], info["author"], info["isrc"], info["length"]) == (
        "applemusic", "Harbour Lights", "The Quiet Tides", HARBOUR.isrc, 3000)
    assert info["artworkUrl"] == f"https://is1-ssl.mzstatic.com/image/thumb/Music/{HARBOUR.apple_id}/1000x1000bb.jpg"
    assert song["data"]["pluginInfo"]["albumName"] == "Low Water"
    in_album = await load(world, f"https://music.apple.com/gb/album/low-water/123?i={NORTHERN.apple_id}")
    assert in_album["data"]["info"]["title"] == "Northern Road"
    playlist = await load(world, f"https://music.apple.com/gb/playlist/quiet-songs/{PLAYLIST_ID}")
    assert playlist["loadType"] == "playlist"
    assert playlist["data"]["pluginInfo"]["author"] == "Tester"
    assert [t["info"]["title"] for t in playlist["data"]["tracks"]] == ["Harbour Lights", "Northern Road"]
    album = await load(world, f"https://music.apple.com/gb/album/low-water/9{HARBOUR.apple_id}")
    assert (album["loadType"], album["data"]["info"]["name"], album["data"]["pluginInfo"]["type"]) == (
        "playlist", "Low Water", "album")
    artist = await load(world, f"https://music.apple.com/gb/artist/mira-vale/8{NORTHERN.apple_id}")
    assert artist["data"]["info"]["name"] == "Mira Vale's Top Tracks"
    assert artist["data"]["tracks"][0]["pluginInfo"]["artistArtworkUrl"] == (
        f"https://is1-ssl.mzstatic.com/image/thumb/Music/artist{NORTHERN.apple_id}/1000x1000bb.jpg")
    search = await load(world, "amsearch:harbour")
    assert [t["info"]["identifier"] for t in search["data"]] == [HARBOUR.apple_id]
    assert (await load(world, "amsearch:nothing like it"))["loadType"] == "empty"
    assert (await load(world, "https://music.apple.com/gb/song/x/999"))["loadType"] == "empty"


async def test_apple_music_plays_through_the_mirror(world: World) -> None:
    [heard] = await hear_tracks(world.node, f"https://music.apple.com/gb/song/x/{HARBOUR.apple_id}", 1)
    assert snr_db(sweep(SECONDS), heard) >= HEARD_DB


async def test_apple_music_with_a_musickit_key_signs_its_own_token(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    auth = AppleAuth(key, "ABC123DEFG", "TEAM456789")
    async for world in start_world(tmp_path, PROVIDERS, auth,
                                   {"musicKitKey": pem, "keyID": "ABC123DEFG", "teamID": "TEAM456789"}):
        song = await load(world, f"https://music.apple.com/gb/song/x/{HARBOUR.apple_id}")
        assert song["loadType"] == "track"


async def test_deezer_track_isrc_album_and_search(world: World) -> None:
    track = await load(world, f"https://www.deezer.com/en/track/{NORTHERN.deezer_id}")
    info = track["data"]["info"]
    assert (info["sourceName"], info["title"], info["isrc"], info["length"]) == (
        "deezer", "Northern Road", NORTHERN.isrc, 3000)
    assert track["data"]["pluginInfo"]["artistArtworkUrl"].endswith("/1000x1000.jpg")
    by_isrc = await load(world, f"dzisrc:{HARBOUR.isrc}")
    assert by_isrc["data"]["info"]["identifier"] == str(HARBOUR.deezer_id)
    assert (await load(world, "dzisrc:XX0000000000"))["loadType"] == "empty"
    album = await load(world, f"https://www.deezer.com/album/{HARBOUR.deezer_id + 1_000_000}")
    assert album["data"]["pluginInfo"]["type"] == "album"
    assert album["data"]["tracks"][0]["info"]["artworkUrl"] == (
        f"https://e-cdns-images.dzcdn.net/images/cover/{HARBOUR.deezer_id}/1000x1000.jpg")
    playlist = await load(world, f"https://www.deezer.com/playlist/{DEEZER_PLAYLIST_ID}")
    assert [t["info"]["title"] for t in playlist["data"]["tracks"]] == ["Harbour Lights", "Northern Road"]
    assert playlist["data"]["pluginInfo"]["author"] == "Tester"
    artist_id = track["data"]["pluginInfo"]["artistUrl"].rsplit("/", 1)[1]
    artist = await load(world, f"https://www.deezer.com/artist/{artist_id}")
    assert artist["data"]["info"]["name"] == "Mira Vale's Top Tracks"
    assert (await load(world, "https://www.deezer.com/track/1"))["loadType"] == "empty"
    search = await load(world, "dzsearch:mira vale")
    assert [t["info"]["title"] for t in search["data"]] == ["Northern Road"]


async def test_deezer_plays_through_the_mirror(world: World) -> None:
    [heard] = await hear_tracks(world.node, f"dzisrc:{HARBOUR.isrc}", 1)
    assert snr_db(sweep(SECONDS), heard) >= HEARD_DB


async def test_info_lists_the_plugin_and_its_sources(world: World) -> None:
    async with aiohttp.ClientSession() as http, http.get(world.node.url + "/v4/info",
                                                         headers=world.node.auth) as response:
        info = await response.json()
    # The JVM plugin's name (its build's lavalinkPlugin.name), which lavalink-client checks before lavaSearch/lyrics.
    assert "lavasrc-plugin" in [p["name"] for p in info["plugins"]]
    assert {"spotify", "applemusic", "deezer", "mirrorfake"} <= set(info["sourceManagers"])
