"""LavaSearch's /v4/loadsearch through the bundled lavasearch-plugin, over raw HTTP (lavalink.py has no LavaSearch
call), against a folder plugin's source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp

from lavalink_py.plugins.bundled.lavasearch import parse_types
from tests.node import NodeFactory


def test_types_are_split_as_lavasearch_does() -> None:
    assert parse_types("track, album,artist") == {"track", "album", "artist"}
    assert parse_types(None) == parse_types("") == parse_types("nonsense") == {
        "track", "album", "artist", "playlist", "text"}


async def test_loadsearch_answers_lavasearch_shapes(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession
) -> None:
    node = await make_node(bundled_config())
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        names = [p["name"] for p in (await response.json())["plugins"]]
    assert "lavasearch-plugin" in names

    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "fakeytsearch:tones", "types": "track"},
                        headers=node.auth) as response:
        assert response.status == 200
        body = await response.json()
    assert set(body) == {"tracks", "albums", "artists", "playlists", "texts", "plugin"}
    assert [t["info"]["title"] for t in body["tracks"]] == ["tones one", "tones two"]
    assert body["tracks"][0]["info"]["sourceName"] == "youtube" and body["tracks"][0]["encoded"]
    assert body["albums"] == body["artists"] == body["playlists"] == body["texts"] == [] and body["plugin"] == {}

    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "fakeyt:album:Sweeps", "types": "album,track"},
                        headers=node.auth) as response:
        body = await response.json()
    assert body["albums"] == [{"info": {"name": "Sweeps", "selectedTrack": -1}, "pluginInfo": {"type": "album"},
                               "tracks": []}]
    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "fakeyt:artist:Tones"},
                        headers=node.auth) as response:
        body = await response.json()
    assert [a["info"]["name"] for a in body["artists"]] == ["Tones"] and body["albums"] == []

    # An album asked for as a track only, and a search with no matches: LavaSearch's 204.
    for params in ({"query": "fakeyt:album:Sweeps", "types": "track"}, {"query": "fakeytsearch:nothing"}):
        async with http.get(f"{node.url}/v4/loadsearch", params=params, headers=node.auth) as response:
            assert response.status == 204, params


async def test_loadsearch_refuses_bad_requests(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession
) -> None:
    node = await make_node(bundled_config())
    async with http.get(f"{node.url}/v4/loadsearch", headers=node.auth) as response:
        assert response.status == 400
        error = await response.json()
    assert error["status"] == 400 and "query" in error["message"] and error["path"] == "/v4/loadsearch"
    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "x"}) as response:
        assert response.status == 401


async def test_not_loaded_unless_declared_or_configured(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node()
    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "x"}, headers=node.auth) as response:
        assert response.status == 404
    node = await make_node({"lavalink": {"plugins": [
        {"dependency": "com.github.topi314.lavasearch:lavasearch-plugin:1.0.0"}]},
        "plugins": {"lavasearch": {"enabled": False}}})
    async with http.get(f"{node.url}/v4/loadsearch", params={"query": "x"}, headers=node.auth) as response:
        assert response.status == 404
