"""docs/endpoints.md lists every route the node serves, with the authentication the node really asks for."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp

from tests.node import RunningNode

DOC = Path(__file__).resolve().parents[2] / "docs" / "endpoints.md"
ROW = re.compile(r"^\| (GET|POST|PATCH|DELETE) \| `([^`]+)` \| ([a-z ]+) \|", re.MULTILINE)


def documented() -> dict[tuple[str, str], str]:
    return {(method, path): auth for method, path, auth in ROW.findall(DOC.read_text())}


async def test_every_route_is_documented_with_the_auth_it_asks_for(node: RunningNode) -> None:
    served = {
        (route.method, route.resource.canonical)
        for route in node.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    docs = documented()
    assert sorted(served) == sorted(docs)
    async with aiohttp.ClientSession() as http:
        for (method, template), auth in docs.items():
            path = template.replace("{session_id}", "nosuchsession").replace("{guild_id}", "1")
            headers = {"Upgrade": "websocket", "Connection": "Upgrade"} if path == "/v4/websocket" else {}
            async with http.request(method, node.url + path, headers=headers) as response:
                if auth == "none":
                    assert response.status != 401, (method, path)
                else:
                    assert response.status == 401, (method, path, response.status)
