"""The plugin API hooks the bundled plugins use, from a folder plugin of the test's own: on_player_event (a raising
listener is logged and the others still hear the event), player (track, position, seek), session_exists, load and
source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.node import NodeFactory, connect

HOOKS = '''
from aiohttp import web
from lavalink_py.plugins.api import PlayerEvent, PluginContext, TrackLoaded

class Hooks:
    name = "hooks"
    version = "1"

    def setup(self, context: PluginContext) -> None:
        seen: list[str] = []

        def broken(event: PlayerEvent) -> None:
            raise RuntimeError("listener bug")

        def record(event: PlayerEvent) -> None:
            seen.append(f"{event.type}:{event.session_id}:{event.guild_id}:{event.message['track']['info']['title']}")

        async def report(request: web.Request) -> web.Response:
            session, guild = request.match_info["session"], int(request.match_info["guild"])
            player = context.player(session, guild)
            loaded = await context.load("fakeyt:xyz")
            youtube = context.source("youtube")
            body = {
                "seen": seen, "exists": context.session_exists(session), "ghost": context.session_exists("ghost"),
                "noPlayer": context.player(session, guild + 1) is None,
                "track": None if player is None or player.track is None else player.track.info.identifier,
                "loaded": isinstance(loaded, TrackLoaded) and loaded.track.info.identifier,
                "source": None if youtube is None else youtube.name, "missing": context.source("nope") is None,
            }
            if player is not None and "seek" in request.query:
                player.seek(int(request.query["seek"]))
                body["position"] = player.position_ms
            return web.json_response(body)

        context.on_player_event(broken)
        context.on_player_event(record)
        context.add_route("GET", "/v4/hooks/{session}/{guild}", report)

plugin = Hooks
'''


async def test_hooks_seen_from_a_plugin(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    (tmp_path / "plugins" / "hooks.py").write_text(HOOKS)
    node = await make_node(bundled_config())
    socket, ready, _ = await connect(http, node)
    session = ready["sessionId"]
    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:abc"}, headers=node.auth) as r:
        encoded = (await r.json())["data"]["encoded"]
    async with http.patch(f"{node.url}/v4/sessions/{session}/players/9", headers=node.auth,
                          json={"track": {"encoded": encoded}, "paused": True}) as r:
        assert r.status == 200
    await socket.event("TrackStartEvent", 20)  # delivered although a listener raised on it
    async with http.get(f"{node.url}/v4/hooks/{session}/9", params={"seek": "2500"}, headers=node.auth) as r:
        body = await r.json()
    assert body == {"seen": [f"TrackStartEvent:{session}:9:Sweep"], "exists": True, "ghost": False,
                    "noPlayer": True, "track": "abc", "loaded": "xyz", "source": "youtube", "missing": True,
                    "position": 2500}
    # The seek is the client's: a playerUpdate at the new position follows.
    await socket.next_matching(lambda m: m["op"] == "playerUpdate" and m["state"]["position"] >= 2500, 10)
    assert "plugin hooks: player event listener raised on TrackStartEvent" in caplog.text
    await socket.close()
