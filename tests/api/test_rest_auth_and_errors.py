"""Authentication, the API header and Lavalink's error body, on every kind of route."""

from __future__ import annotations

import aiohttp
import pytest

from tests.node import RunningNode

ROUTES = [
    ("GET", "/version"),
    ("GET", "/v4/info"),
    ("GET", "/v4/stats"),
    ("GET", "/v4/loadtracks?identifier=x"),
    ("GET", "/v4/decodetrack?encodedTrack=x"),
    ("POST", "/v4/decodetracks"),
    ("PATCH", "/v4/sessions/abc"),
    ("GET", "/v4/sessions/abc/players"),
    ("GET", "/v4/sessions/abc/players/1"),
    ("PATCH", "/v4/sessions/abc/players/1"),
    ("DELETE", "/v4/sessions/abc/players/1"),
    ("GET", "/v4/routeplanner/status"),
    ("POST", "/v4/routeplanner/free/all"),
    ("GET", "/v4/no-such-route"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_missing_password_is_401_and_wrong_password_403(
    node: RunningNode, http: aiohttp.ClientSession, method: str, path: str
) -> None:
    async with http.request(method, node.url + path) as response:
        assert response.status == 401
        assert await response.read() == b""
        assert response.headers["Lavalink-Api-Version"] == "4"
    async with http.request(method, node.url + path, headers={"Authorization": node.password + "foo"}) as response:
        assert response.status == 403
        assert await response.read() == b""


async def test_version_is_plain_text(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + "/version", headers=node.auth) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert response.headers["Lavalink-Api-Version"] == "4"
        assert await response.text() == node.version


async def test_error_body_has_lavalinks_fields_and_trace_only_on_request(
    node: RunningNode, http: aiohttp.ClientSession
) -> None:
    path = "/v4/sessions/xtaug914v9k5032f/players/817327181659111454"
    async with http.get(node.url + path, headers=node.auth) as response:
        assert response.status == 404
        body = await response.json()
    assert list(body) == ["timestamp", "status", "error", "message", "path"]
    assert body["status"] == 404
    assert body["error"] == "Not Found"
    assert body["message"] == "Session not found"
    assert body["path"] == path
    assert isinstance(body["timestamp"], int)
    async with http.get(node.url + path + "?trace=true", headers=node.auth) as response:
        body = await response.json()
    assert "Session not found" in body["trace"]


async def test_unknown_route_and_wrong_method_use_the_error_body(
    node: RunningNode, http: aiohttp.ClientSession
) -> None:
    async with http.get(node.url + "/v4/nothing-here", headers=node.auth) as response:
        assert response.status == 404
        assert (await response.json())["path"] == "/v4/nothing-here"
    async with http.put(node.url + "/v4/info", headers=node.auth) as response:
        assert response.status == 405
        body = await response.json()
        assert body["error"] == "Method Not Allowed"
        assert "PUT" in body["message"]


async def test_route_planner_answers_as_lavalink_without_one(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + "/v4/routeplanner/status", headers=node.auth) as response:
        assert response.status == 204
    for path in ("/v4/routeplanner/free/address", "/v4/routeplanner/free/all"):
        async with http.post(node.url + path, json={"address": "1.0.0.1"}, headers=node.auth) as response:
            assert response.status == 500
            assert (await response.json())["message"] == "Can't access disabled route planner"
