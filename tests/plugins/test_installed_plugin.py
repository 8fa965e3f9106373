"""A third-party plugin installed as a package with an entry point: every hook through a real node and client."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import numpy as np
import pytest

from lavalink_py.app import METRICS, build_app
from lavalink_py.config import settings_from_dict
from lavalink_py.plugins import PluginLoadError
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, NodeFactory, connect
from tests.node import test_config as node_config

GUILD = 222


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


async def test_it_shows_in_info_and_adds_a_source_with_plugin_info(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node({"plugins": {"demo": {"greeting": "hi"}}})
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        info = await response.json()
    assert {"name": "demo", "version": "2.3.4"} in info["plugins"]
    sources = info["sourceManagers"]
    assert sources.index("demo") < sources.index("http"), "plugin sources are asked before the catch-all HTTP one"

    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "demo:song"}, headers=node.auth) as r:
        loaded = await r.json()
    assert loaded["loadType"] == "track"
    assert loaded["data"]["info"]["sourceName"] == "demo"
    assert loaded["data"]["pluginInfo"] == {"demoKind": "song", "seenBy": "demo"}
    # The modifier runs on decoded tracks too, as Lavalink's do; the source's own fields came with the load only.
    encoded = loaded["data"]["encoded"]
    async with http.get(f"{node.url}/v4/decodetrack", params={"encodedTrack": encoded}, headers=node.auth) as r:
        assert (await r.json())["pluginInfo"] == {"seenBy": "demo"}


async def test_its_route_emits_an_event_to_the_players_session(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node({"plugins": {"demo": {"greeting": "hi"}}})
    socket, ready, _ = await connect(http, node)
    url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}/demo/ping"
    async with http.post(url, headers=node.auth) as response:
        assert response.status == 204
    event = await socket.event("DemoPingEvent")
    assert event == {"op": "event", "type": "DemoPingEvent", "guildId": str(GUILD), "greeting": "hi"}
    async with http.post(f"{node.url}/v4/sessions/nosuchsession/players/{GUILD}/demo/ping", headers=node.auth) as r:
        assert r.status == 404
        assert (await r.json())["path"] == "/v4/sessions/nosuchsession/players/1/demo/ping".replace("1", str(GUILD))
    async with http.post(url) as response:
        assert response.status == 401, "plugin routes sit behind the password like every route"
    await socket.close()


async def test_crashes_in_its_route_and_its_load_leave_the_node_serving(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node()
    async with http.get(f"{node.url}/v4/demo/crash", headers=node.auth) as response:
        assert response.status == 500
        body = await response.json()
    assert body["status"] == 500
    assert body["error"] == "Internal Server Error"
    assert body["path"] == "/v4/demo/crash"
    assert "plugin demo failed" in body["message"] and "ZeroDivisionError" in body["message"]

    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "demo:crash"}, headers=node.auth) as r:
        failed = await r.json()
    assert failed["loadType"] == "error"
    assert failed["data"]["severity"] == "fault"
    assert "demo source crashed" in failed["data"]["cause"]
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        assert response.status == 200


async def test_its_collector_is_scraped(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node()
    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "demo:x"}, headers=node.auth) as r:
        assert (await r.json())["loadType"] == "track"
    await node.app[METRICS].refresh_now()  # plugin collectors run off the loop, on the refresher's schedule
    async with http.get(f"{node.url}/metrics", headers=node.auth) as response:
        text = await response.text()
    assert "lavalink_demo_loads_total 1.0" in text


async def test_a_source_that_raises_mid_stream_ends_the_track_not_the_node(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node()
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"

        async def play(identifier: str) -> None:
            async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": identifier},
                                headers=node.auth) as response:
                encoded = (await response.json())["data"]["encoded"]
            body = {"voice": server.voice_state(), "track": {"encoded": encoded}}
            async with http.patch(player_url, json=body, headers=node.auth) as response:
                assert response.status == 200

        await play("demo:broken")
        await socket.event("TrackStartEvent")
        exception = await socket.event("TrackExceptionEvent", 20)
        assert "demo stream broke mid-track" in exception["exception"]["cause"]
        assert (await socket.event("TrackEndEvent", 10))["reason"] == "loadFailed"

        await play("demo:fine")  # the same player goes on
        assert (await socket.event("TrackEndEvent", 20))["reason"] == "finished"
        await socket.close()


def test_a_bad_config_value_stops_start_up_naming_the_key(demo_installed: Path) -> None:
    settings = settings_from_dict(node_config({"plugins": {"demo": {"seconds": "long"}}})).settings
    with pytest.raises(PluginLoadError, match=r"plugin demo .*plugins\.demo\.seconds"):
        build_app(settings)


async def test_enabled_false_leaves_it_out(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node({"plugins": {"demo": {"enabled": False}}})
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        info = await response.json()
    assert info["plugins"] == []
    assert "demo" not in info["sourceManagers"]


async def test_its_filter_is_listed_parsed_echoed_and_run(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node()
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        assert "demoGain" in (await response.json())["filters"]
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        bad = {"filters": {"pluginFilters": {"demoGain": {"gain": 7}}}}
        async with http.patch(player_url, json=bad, headers=node.auth) as response:
            assert response.status == 400
            assert "pluginFilters.demoGain.gain" in (await response.json())["message"]

        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "demo:quiet"},
                            headers=node.auth) as response:
            encoded = (await response.json())["data"]["encoded"]
        body = {"voice": server.voice_state(), "track": {"encoded": encoded},
                "filters": {"pluginFilters": {"demoGain": {"gain": 0.5}}}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
            player = await response.json()
        assert player["filters"]["pluginFilters"] == {"demoGain": {"gain": 0.5, "crash": False}}
        assert (await socket.event("TrackEndEvent", 20))["reason"] == "finished"
        async with http.get(f"{node.url}/v4/demo/filtered", headers=node.auth) as response:
            assert (await response.json())["blocks"] > 0
        # Measured where the listener hears it: the demo's 0.3-amplitude sine (RMS 0.212) at half gain.
        await server.wait_for(lambda: len(server.listeners[444].pcm()) >= 48000 * 2, 10)
        heard = server.listeners[444].pcm()
        middle = heard[len(heard) // 4 : 3 * len(heard) // 4]
        rms = float(np.sqrt(np.mean(np.square(middle, dtype=np.float64))))
        assert 0.09 <= rms <= 0.125, rms
        await socket.close()


async def test_a_filter_that_raises_ends_the_track_not_the_node(
    demo_installed: Path, make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node()
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "demo:loud"},
                            headers=node.auth) as response:
            encoded = (await response.json())["data"]["encoded"]
        body = {"voice": server.voice_state(), "track": {"encoded": encoded},
                "filters": {"pluginFilters": {"demoGain": {"crash": True}}}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        exception = await socket.event("TrackExceptionEvent", 20)
        assert "demo filter crashed" in exception["exception"]["cause"]
        assert (await socket.event("TrackEndEvent", 10))["reason"] == "loadFailed"
        async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
            assert response.status == 200
        await socket.close()
