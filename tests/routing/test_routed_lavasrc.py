"""The bundled lavasrc plugin's own requests (token endpoint, each service's web API) through the route planner:
they reach the local fake services from the planner's addresses (127.0.10.8/29, all loopback), and a 429 marks the
address failing and is retried from the next, through the plugin API's `PluginContext.http`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from lavalink_py.audio import AudioEngine, EngineSettings
from lavalink_py.protocol.track_codec import decode_track
from tests.audio.conftest import play_to_end
from tests.audio.test_position import new_playback
from tests.plugins.test_lavasrc import (
    HARBOUR,
    NORTHERN,
    PLAYLIST_ID,
    PROVIDERS,
    World,
    load,
    start_world,
    trust_test_ca,  # noqa: F401 - autouse fixture
)

PLANNER = {f"127.0.10.{n}" for n in range(8, 16)}


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async for w in start_world(tmp_path, PROVIDERS, ratelimit={"ipBlocks": ["127.0.10.8/29"],
                                                               "strategy": "RotateOnBan"}):
        yield w


async def failing(world: World) -> list[str]:
    async with aiohttp.ClientSession() as http, http.get(
        world.node.url + "/v4/routeplanner/status", headers=world.node.auth
    ) as response:
        body = await response.json()
    return [entry["failingAddress"] for entry in body["details"]["failingAddresses"]]


async def test_every_services_requests_leave_from_the_planner(world: World) -> None:
    assert (await load(world, f"https://open.spotify.com/playlist/{PLAYLIST_ID}"))["loadType"] == "playlist"
    assert (await load(world, f"https://music.apple.com/gb/song/harbour-lights/{HARBOUR.apple_id}")
            )["loadType"] == "track"
    assert (await load(world, f"https://www.deezer.com/en/track/{NORTHERN.deezer_id}"))["loadType"] == "track"
    assert (await load(world, "spsearch:harbour"))["loadType"] == "search"
    assert world.spotify.count("POST /api/token") == 1
    for served in (world.spotify, world.apple, world.deezer):
        assert served.peers and set(served.peers) <= PLANNER, served.peers
    assert await failing(world) == []


async def test_a_429_from_the_token_endpoint_rotates_and_the_load_succeeds(world: World) -> None:
    world.spotify.rate_limited = {"127.0.10.8"}
    body = await load(world, f"https://open.spotify.com/playlist/{PLAYLIST_ID}")
    assert body["loadType"] == "playlist"
    assert world.spotify.requests[:2] == ["POST /api/token", "POST /api/token"]
    assert world.spotify.peers[:2] == ["127.0.10.8", "127.0.10.9"]
    assert set(world.spotify.peers[1:]) == {"127.0.10.9"}  # the API calls from the address that served
    assert await failing(world) == ["/127.0.10.8"]


async def test_a_429_from_an_api_call_rotates_too(world: World) -> None:
    assert (await load(world, f"https://www.deezer.com/en/track/{NORTHERN.deezer_id}"))["loadType"] == "track"
    world.deezer.rate_limited = {"127.0.10.8"}
    world.deezer.peers.clear()
    assert (await load(world, f"https://www.deezer.com/en/track/{HARBOUR.deezer_id}"))["loadType"] == "track"
    assert world.deezer.peers[:2] == ["127.0.10.8", "127.0.10.9"]
    assert await failing(world) == ["/127.0.10.8"]


async def test_the_mirrors_media_is_opened_from_the_planner(world: World) -> None:
    # The mirror is a third-party plugin's source that hands a plain URL: the node binds it to the planner, and
    # the track plays from there.
    body = await load(world, f"https://open.spotify.com/track/{HARBOUR.spotify_id}")
    spec = await world.node.node.loader.open_stream(decode_track(body["data"]["encoded"]))
    assert spec.options["local_addr"] in PLANNER
    engine = AudioEngine(EngineSettings(stuck_threshold_ms=4000))
    try:
        playback, _, events = new_playback(engine)
        playback.start(spec)
        await play_to_end(engine, events, max_ticks=600)
    finally:
        for playback in list(engine.playbacks):
            engine.remove_playback(playback)
        await engine.close()
    assert events.log[-1] == "end:finished", events.log


@pytest.mark.parametrize(("triggers", "load_type", "peers", "failing_after"), [
    (True, "search", ["127.0.10.8", "127.0.10.9"], ["/127.0.10.8"]),
    (False, "error", ["127.0.10.8", "127.0.10.8"], []),
])
async def test_a_429_to_a_service_search_follows_search_triggers_fail(
    tmp_path: Path, triggers: bool, load_type: str, peers: list[str], failing_after: list[str]
) -> None:
    ratelimit = {"ipBlocks": ["127.0.10.8/29"], "searchTriggersFail": triggers, "retryLimit": 1}
    async for world in start_world(tmp_path, PROVIDERS, ratelimit=ratelimit):
        await load(world, f"https://open.spotify.com/track/{HARBOUR.spotify_id}")  # the token, from .8
        world.spotify.rate_limited = {"127.0.10.8"}
        world.spotify.peers.clear()
        assert (await load(world, "spsearch:harbour"))["loadType"] == load_type
        assert world.spotify.peers == peers
        assert await failing(world) == failing_after
