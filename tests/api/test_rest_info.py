"""`/v4/info` and `/v4/stats` shapes."""

from __future__ import annotations

import aiohttp

from tests.node import NodeFactory, RunningNode


async def test_info_shape(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + "/v4/info", headers=node.auth) as response:
        assert response.status == 200
        body = await response.json()
    assert set(body) == {"version", "buildTime", "git", "jvm", "lavaplayer", "sourceManagers", "filters", "plugins"}
    version = body["version"]
    assert version["semver"] == node.version
    assert (version["major"], version["minor"]) == (4, 2)
    assert set(version) == {"semver", "major", "minor", "patch", "preRelease", "build"}
    assert set(body["git"]) == {"branch", "commit", "commitTime"}
    assert "http" in body["sourceManagers"]
    assert body["filters"] == [
        "volume",
        "equalizer",
        "karaoke",
        "timescale",
        "tremolo",
        "vibrato",
        "distortion",
        "rotation",
        "channelMix",
        "lowPass",
        "highPass",
        "echo",
        "chorus",
        "phaser",
        "compressor",
        "loudness",
    ]
    assert body["plugins"] == []


async def test_info_lists_only_enabled_filters(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node({"lavalink": {"server": {"filters": {"karaoke": False, "lowPass": False}}}})
    async with http.get(node.url + "/v4/info", headers=node.auth) as response:
        filters = (await response.json())["filters"]
    assert "karaoke" not in filters
    assert "lowPass" not in filters
    assert "volume" in filters


async def test_stats_shape_has_no_frame_stats(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + "/v4/stats", headers=node.auth) as response:
        body = await response.json()
    assert set(body) == {"players", "playingPlayers", "uptime", "memory", "cpu"}
    assert set(body["memory"]) == {"free", "used", "allocated", "reservable"}
    assert set(body["cpu"]) == {"cores", "systemLoad", "lavalinkLoad"}
    assert body["players"] == 0
    assert body["memory"]["used"] > 0
    assert body["cpu"]["cores"] >= 1
    assert 0.0 <= body["cpu"]["lavalinkLoad"] <= 1.0
