"""Lyrics from the mirror services (LavaSrc's `lyrics-sources`) through the lavalyrics-plugin's routes, on a real
node: Spotify's color-lyrics with the sp_dc account token and Deezer's gateway with the arl session, from local
servers that speak those endpoints (tests/fakes/music/lyrics.py); the answer is LavaLyrics' lyrics object."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from lavalink_py.bundled.lavasrc.lyrics import deezer_lyrics, service_id, spotify_lyrics
from lavalink_py.bundled.lavasrc.source import Search
from lavalink_py.bundled.lavasrc.tracks import ServiceTrack
from lavalink_py.plugins.api import TrackInfo, make_track
from tests.fakes.music.catalog import Catalog
from tests.fakes.music.lyrics import ARL, SP_DC, DeezerGatewayFake, SpotifyLyricsFake, body
from tests.fakes.music.servers import CLIENT_ID, CLIENT_SECRET, deezer_routes, serve, spotify_routes
from tests.node import RunningNode, running_nodes
from tests.plugins.test_lavasrc import HARBOUR, NORTHERN

SPOTIFY_LINES = [(1000, "Lights on the harbour"), (4200, "Boats come in"), (7900, "")]
DEEZER_TEXT = "Lights on the harbour\nBoats come in"
DEEZER_LINES = [(1100, 3000, "Lights on the harbour"), (4300, 3500, "Boats come in")]


@dataclass
class World:
    node: RunningNode
    web: SpotifyLyricsFake
    gateway: DeezerGatewayFake


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async for w in start_world(SP_DC, ARL):
        yield w


async def start_world(sp_dc: str, arl: str) -> AsyncIterator[World]:
    catalog = Catalog(songs=[HARBOUR, NORTHERN])
    web = SpotifyLyricsFake({HARBOUR.spotify_id: SPOTIFY_LINES})
    gateway = DeezerGatewayFake({str(HARBOUR.deezer_id): (DEEZER_TEXT, DEEZER_LINES)})
    async with AsyncExitStack() as stack:
        spotify = await stack.enter_async_context(serve(lambda base: spotify_routes(catalog, base)))
        deezer = await stack.enter_async_context(serve(lambda base: deezer_routes(catalog)))
        web_player = await stack.enter_async_context(serve(lambda base: web.routes()))
        gw = await stack.enter_async_context(serve(lambda base: gateway.routes()))
        start = await stack.enter_async_context(running_nodes())
        node = await start({"plugins": {
            "lavasrc": {
                # Spotify's source and its lyrics; Deezer's lyrics only (LavaSrc allows lyrics without the source).
                "sources": {"spotify": True},
                "lyrics-sources": {"spotify": True, "deezer": True},
                "spotify": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "apiUrl": f"{spotify.url}/v1",
                            "tokenUrl": f"{spotify.url}/api/token", "spDc": sp_dc,
                            "customTokenEndpoint": f"{web_player.url}/api/token", "clientApiUrl": web_player.url},
                "deezer": {"apiUrl": deezer.url, "arl": arl, "privateApiUrl": f"{gw.url}/ajax/gw-light.php"},
            },
            # No LRCLIB: after the track's own source, every registered source with lyrics is asked (as LavaLyrics
            # asks every lyrics manager).
            "lavalyrics": {"sources": []},
        }})
        yield World(node, web, gateway)


async def get(node: RunningNode, path: str, **params: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(node.url + path, params=params,
                                                         headers=node.auth) as response:
        return response.status, (await response.json() if response.status == 200 else None)


async def encoded(node: RunningNode, identifier: str) -> str:
    status, result = await get(node, "/v4/loadtracks", identifier=identifier)
    assert status == 200 and result["loadType"] == "track", result
    value: str = result["data"]["encoded"]
    return value


async def test_spotify_tracks_get_spotifys_synced_lyrics(world: World) -> None:
    track = await encoded(world.node, f"https://open.spotify.com/track/{HARBOUR.spotify_id}")
    status, lyrics = await get(world.node, "/v4/lyrics", track=track)
    assert status == 200
    assert lyrics == {
        "sourceName": "spotify", "provider": "Musixmatch", "text": None, "plugin": {},
        "lines": [{"timestamp": at, "duration": None, "line": words, "plugin": {}} for at, words in SPOTIFY_LINES],
    }
    # The account token came from the web player's endpoint with the sp_dc cookie, once.
    assert world.web.cookies_seen == [f"sp_dc={SP_DC}"]
    status, _ = await get(world.node, "/v4/lyrics", track=track)
    assert status == 200 and len(world.web.issued) == 1


async def test_skipping_the_track_source_finds_the_song_on_deezer_by_isrc(world: World) -> None:
    track = await encoded(world.node, f"https://open.spotify.com/track/{HARBOUR.spotify_id}")
    status, lyrics = await get(world.node, "/v4/lyrics", track=track, skipTrackSource="true")
    assert status == 200
    # Deezer's untimed blank lines are left out; its lines carry their durations.
    assert lyrics == {
        "sourceName": "deezer", "provider": "LyricFind", "text": DEEZER_TEXT, "plugin": {},
        "lines": [{"timestamp": at, "duration": d, "line": line, "plugin": {}} for at, d, line in DEEZER_LINES],
    }
    # The gateway session expires early: one new session, one retry.
    world.gateway.api_token = "expired"
    status, again = await get(world.node, "/v4/lyrics", track=track, skipTrackSource="true")
    assert (status, again, world.gateway.sessions) == (200, lyrics, 2)


async def test_a_service_on_for_its_lyrics_only_is_not_listed_as_a_source(world: World) -> None:
    status, info = await get(world.node, "/v4/info")
    assert status == 200 and "spotify" in info["sourceManagers"] and "deezer" not in info["sourceManagers"]


async def test_a_song_no_service_has_lyrics_for_answers_204(world: World) -> None:
    track = await encoded(world.node, f"https://open.spotify.com/track/{NORTHERN.spotify_id}")
    status, _ = await get(world.node, "/v4/lyrics", track=track)
    assert status == 204


async def test_cookies_the_services_do_not_take_give_no_lyrics(caplog: pytest.LogCaptureFixture) -> None:
    async for world in start_world("expired-sp-dc", "expired-arl"):
        track = await encoded(world.node, f"https://open.spotify.com/track/{HARBOUR.spotify_id}")
        status, _ = await get(world.node, "/v4/lyrics", track=track)
        assert status == 204  # each provider failed, logged, and the next one asked
    logged = caplog.text
    assert "Spotify refused plugins.lavasrc.spotify.spDc" in logged
    assert "Deezer refused plugins.lavasrc.deezer.arl" in logged


def test_service_shapes() -> None:
    unsynced = body("UNSYNCED", [{"startTimeMs": "0", "words": "one", "syllables": [], "endTimeMs": "0"},
                                 {"startTimeMs": "0", "words": "two", "syllables": [], "endTimeMs": "0"}])
    found = spotify_lyrics(unsynced)
    assert found is not None and (found.text, found.lines) == ("one\ntwo", ())
    timed = spotify_lyrics(body("LINE_SYNCED", [{"startTimeMs": "500", "words": "a", "endTimeMs": "1500"}]))
    assert timed is not None and [(x.timestamp_ms, x.duration_ms, x.line) for x in timed.lines] == [(500, 1000, "a")]
    assert spotify_lyrics({"error": "x"}) is None and deezer_lyrics({}) is None


async def test_a_track_of_another_source_is_found_by_isrc_then_by_title_and_author() -> None:
    asked: list[str] = []
    hit = ServiceTrack("Harbour Lights", "The Quiet Tides", 3000, "42", None)

    async def lookup(query: str) -> Search | None:
        asked.append(query)
        return Search([hit]) if query.startswith("dzsearch:") else None

    info = TrackInfo("Harbour Lights", "The Quiet Tides", 3000, "yt1", False, None, "youtube", isrc="GBAYE2400001")
    assert await service_id(make_track(info), "deezer", lookup, "dzisrc:", "dzsearch:") == "42"
    assert asked == ["dzisrc:GBAYE2400001", "dzsearch:Harbour Lights The Quiet Tides"]
