"""`pluginFilters`: an entry reaches the filter registered under its name, which parses, echoes and plays it."""

from __future__ import annotations

import aiohttp

from lavalink_py.audio import AudioEngine
from tests.audio.filters.plugin import GainFilter
from tests.node import RunningNode, connect


async def test_plugin_filter_is_parsed_echoed_and_listed(node: RunningNode, http: aiohttp.ClientSession) -> None:
    node.node.audio.filters.register(GainFilter(), plugin=True)
    socket, ready, _ = await connect(http, node)
    url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/5"
    body = {"filters": {"volume": 0.9, "pluginFilters": {"gain": {}, "nobodyHasThis": {"x": 1}}}}
    async with http.patch(url, json=body, headers=node.auth) as response:
        assert response.status == 200
        player = await response.json()
    # Defaults filled in by the plugin's own echo; a name no filter claims is dropped, as Lavalink does.
    assert player["filters"] == {"volume": 0.9, "pluginFilters": {"gain": {"gain": 1.0}}}
    bad = {"filters": {"pluginFilters": {"gain": {"gain": 3}}}}
    async with http.patch(url, json=bad, headers=node.auth) as response:
        assert response.status == 400
        message = (await response.json())["message"]
        assert message == "filters.pluginFilters.gain.gain: expected a number from 0.0 to 2.0, got 3.0"
    async with http.get(url, headers=node.auth) as response:
        assert (await response.json())["filters"] == player["filters"]  # the refused PATCH changed nothing
    async with http.get(node.url + "/v4/info", headers=node.auth) as response:
        assert (await response.json())["filters"][-1] == "gain"
    await socket.close()


def test_a_name_is_registered_once() -> None:
    registry = AudioEngine().filters
    try:
        registry.register(GainFilter(name="volume"), plugin=True)
    except ValueError as error:
        assert "volume" in str(error)
    else:
        raise AssertionError("a second 'volume' was accepted")
