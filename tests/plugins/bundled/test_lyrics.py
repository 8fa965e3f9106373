"""LavaLyrics' routes through the bundled lavalyrics-plugin, against a local LRCLIB, over raw HTTP (lavalink.py has
no lyrics call): synced lines from LRCLIB, the track source's own lyrics first, and Lavalink's error bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from lavalink_py.plugins.bundled.lyrics_model import parse_lrc
from tests.fakes.lyrics_services import FakeLrclib, serve
from tests.node import NodeFactory, RunningNode, connect

SYNCED = "[00:01.50] First line\n[00:04.00] Second line\n[01:02.345] Last line\n"


def record(duration_s: float, synced: str | None, rid: int) -> dict[str, Any]:
    return {"id": rid, "trackName": "Sweep", "artistName": "Test Tones", "albumName": "Tones",
            "duration": duration_s, "instrumental": False, "plainLyrics": "First line\nSecond line",
            "syncedLyrics": synced}


@pytest.fixture
async def lrclib() -> AsyncIterator[tuple[FakeLrclib, str]]:
    fake = FakeLrclib([record(120.0, SYNCED, 1), record(6.0, None, 2), record(6.5, SYNCED, 3)])
    async with serve(fake.app()) as url:
        yield fake, url


async def node_with(make_node: NodeFactory, config: Callable[..., dict[str, Any]], url: str,
                    own_lyrics: bool = False) -> RunningNode:
    return await make_node(config({"fakeyt": {"lyrics": own_lyrics, "lengthMs": 6000},
                                   "lavalyrics": {"lrclib": {"baseUrl": url}}}))


async def encoded(http: aiohttp.ClientSession, node: RunningNode, identifier: str) -> str:
    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": identifier}, headers=node.auth) as r:
        return str((await r.json())["data"]["encoded"])


def test_lrc_lines_and_durations() -> None:
    lines = parse_lrc("[ar: Someone]\n" + SYNCED)
    assert [(x.timestamp_ms, x.duration_ms, x.line) for x in lines] == [
        (1500, 2500, "First line"), (4000, 58345, "Second line"), (62345, None, "Last line")]


async def test_lyrics_of_an_encoded_track_come_from_lrclib(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    fake, url = lrclib
    node = await node_with(make_node, bundled_config, url)
    track = await encoded(http, node, "fakeyt:abc")
    async with http.get(f"{node.url}/v4/lyrics", params={"track": track}, headers=node.auth) as response:
        assert response.status == 200
        body = await response.json()
    # The synced record within 2 s of the track's 6 s wins over the plain one nearer and the long one.
    assert body == {
        "sourceName": "lrclib", "provider": "LRCLIB", "text": "First line\nSecond line",
        "lines": [
            {"timestamp": 1500, "duration": 2500, "line": "First line", "plugin": {}},
            {"timestamp": 4000, "duration": 58345, "line": "Second line", "plugin": {}},
            {"timestamp": 62345, "duration": None, "line": "Last line", "plugin": {}},
        ],
        "plugin": {"lrclibId": 3},
    }
    assert fake.requests[-1].query["track_name"] == "Sweep" and fake.requests[-1].query["artist_name"] == "Test Tones"
    assert fake.user_agents[-1].startswith("lavalink_py/")

    fake.records.clear()
    async with http.get(f"{node.url}/v4/lyrics", params={"track": track}, headers=node.auth) as response:
        assert response.status == 204
    fake.fail = True  # LRCLIB down: logged, nothing found
    async with http.get(f"{node.url}/v4/lyrics", params={"track": track}, headers=node.auth) as response:
        assert response.status == 204


async def test_the_track_source_answers_first_unless_skipped(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    _, url = lrclib
    node = await node_with(make_node, bundled_config, url, own_lyrics=True)
    track = await encoded(http, node, "fakeyt:abc")
    async with http.get(f"{node.url}/v4/lyrics", params={"track": track}, headers=node.auth) as response:
        body = await response.json()
    assert (body["sourceName"], body["provider"], body["lines"][0]["line"]) == ("youtube", "fake captions", "own line")
    params = {"track": track, "skipTrackSource": "true"}
    async with http.get(f"{node.url}/v4/lyrics", params=params, headers=node.auth) as response:
        assert (await response.json())["sourceName"] == "lrclib"


async def test_lyrics_of_the_playing_track_and_bad_requests(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    _, url = lrclib
    node = await node_with(make_node, bundled_config, url)
    socket, ready, _ = await connect(http, node)
    session = ready["sessionId"]
    lyrics_url = f"{node.url}/v4/sessions/{session}/players/42/track/lyrics"
    async with http.get(lyrics_url, headers=node.auth) as response:
        assert response.status == 404  # no player
        assert (await response.json())["path"] == f"/v4/sessions/{session}/players/42/track/lyrics"
    track = await encoded(http, node, "fakeyt:abc")
    # A paused player holds its track without a voice connection.
    async with http.patch(f"{node.url}/v4/sessions/{session}/players/42", headers=node.auth,
                          json={"track": {"encoded": track}, "paused": True}) as response:
        assert response.status == 200
    async with http.get(lyrics_url, headers=node.auth) as response:
        assert response.status == 200
        assert (await response.json())["lines"][0]["line"] == "First line"
    async with http.get(f"{node.url}/v4/sessions/nope/players/42/track/lyrics", headers=node.auth) as response:
        assert response.status == 404
    for params in ({}, {"track": "not base64!"}, {"track": track, "skipTrackSource": "maybe"}):
        async with http.get(f"{node.url}/v4/lyrics", params=params, headers=node.auth) as response:
            assert response.status == 400, params
            assert (await response.json())["message"]
    await socket.close()


async def test_lrclib_is_asked_from_the_route_planners_address(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    # The plugin's requests go through PluginContext.http: from the planner's block, a 429 rotating to the next.
    fake, url = lrclib
    fake.rate_limited = {"127.0.10.8"}
    config = bundled_config({"fakeyt": {"lyrics": False, "lengthMs": 6000}, "lavalyrics": {"lrclib": {"baseUrl": url}}})
    config["lavalink"]["server"]["ratelimit"] = {"ipBlocks": ["127.0.10.8/29"]}
    node = await make_node(config)
    track = await encoded(http, node, "fakeyt:abc")
    async with http.get(f"{node.url}/v4/lyrics", params={"track": track}, headers=node.auth) as response:
        assert response.status == 200
    assert fake.peers == ["127.0.10.8", "127.0.10.9"]
    assert fake.user_agents[-1].startswith("lavalink_py/")
