"""Where lavalink_py's JSON and headers follow Lavalink's code rather than its docs (issue 9); each test names the
line of lavalink-devs/Lavalink it follows."""

from __future__ import annotations

import aiohttp

from lavalink_py.protocol.load_result import NoMatches, load_result_json
from tests.node import RunningNode, connect


async def test_websocket_stats_carry_frame_stats_null(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # protocol/.../v4/messages.kt:70 `override val frameStats: FrameStats?` (no default): always encoded.
    socket, _, _ = await connect(http, node)
    stats = await socket.next()
    assert stats["op"] == "stats"
    assert "frameStats" in stats and stats["frameStats"] is None
    assert list(stats)[:2] == ["op", "frameStats"]
    await socket.close()


async def test_rest_stats_omit_frame_stats(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # protocol/.../v4/stats.kt:29 `override val frameStats: FrameStats? = null` under `encodeDefaults = false`
    # (mapper.kt:29): omitted from /v4/stats.
    async with http.get(node.url + "/v4/stats", headers=node.auth) as response:
        assert "frameStats" not in await response.json()


async def test_empty_load_result_has_data_null(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # protocol/.../v4/loadResult.kt:70 `NoMatches(ResultStatus.NONE, null)`; docs corrected in Lavalink PR #1210.
    assert load_result_json(NoMatches()) == {"loadType": "empty", "data": None}
    params = {"identifier": "/no/such/file.mp3"}
    async with http.get(node.url + "/v4/loadtracks", params=params, headers=node.auth) as response:
        assert await response.read() == b'{"loadType":"empty","data":null}'


async def test_websocket_handshake_carries_the_api_version(node: RunningNode, http: aiohttp.ClientSession) -> None:
    # LavalinkServer/.../io/ResponseHeaderFilter.kt:16 `response.addHeader("Lavalink-Api-Version", "4")`, a
    # servlet filter in front of every response, the WebSocket upgrade's included.
    socket, _, ws = await connect(http, node)
    assert ws._response.headers["Lavalink-Api-Version"] == "4"
    await socket.close()
    async with http.get(node.ws_url.replace("ws://", "http://")) as refused:
        assert refused.status == 401
        assert refused.headers["Lavalink-Api-Version"] == "4"
