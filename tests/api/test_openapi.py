"""`GET /v4/openapi.json`: a valid OpenAPI 3.1 document that describes every route the node serves."""

from __future__ import annotations

import re

import aiohttp
from openapi_spec_validator import validate

from lavalink_py.api.openapi import OPENAPI_PATH, openapi_document
from lavalink_py.app import VERSION
from tests.node import RunningNode, connect
from tests.openapi_check import ResponseChecker


def _shape(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", template)


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document(VERSION)
    validate(document)  # the OpenAPI 3.1 metaschema, and every $ref resolves
    assert document["openapi"] == "3.1.0"
    assert document["info"]["version"] == VERSION


async def test_it_is_served_behind_the_password(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + OPENAPI_PATH) as response:
        assert response.status == 401
    async with http.get(node.url + OPENAPI_PATH, headers={"Authorization": "wrong"}) as response:
        assert response.status == 403
    async with http.get(node.url + OPENAPI_PATH, headers=node.auth) as response:
        assert response.status == 200
        assert await response.json() == openapi_document(VERSION)


async def test_every_route_and_method_is_documented_and_nothing_else(node: RunningNode) -> None:
    served: dict[str, set[str]] = {}
    for route in node.app.router.routes():
        resource = route.resource
        assert resource is not None
        if route.method != "HEAD":
            served.setdefault(_shape(resource.canonical), set()).add(route.method.lower())
    document = openapi_document(VERSION)
    documented = {
        _shape(path): {method for method in item if method != "parameters"} for path, item in document["paths"].items()
    }
    assert served == documented


def test_the_checker_refuses_what_the_document_does_not_describe() -> None:
    checker = ResponseChecker()
    json_headers = {"Content-Type": "application/json", "Lavalink-Api-Version": "4"}
    checker.check(
        "GET",
        "/v4/stats",
        200,
        json_headers,
        b'{"players":0,"playingPlayers":0,"uptime":1,'
        b'"memory":{"free":1,"used":1,"allocated":1,"reservable":1},'
        b'"cpu":{"cores":2,"systemLoad":0.1,"lavalinkLoad":0.0}}',
    )
    refused = [
        ("GET", "/v4/stats", 500, json_headers, b"{}"),  # an undocumented status
        ("GET", "/v4/stats", 200, {"Content-Type": "application/json"}, b"{}"),  # no Lavalink-Api-Version
        ("GET", "/v4/stats", 200, json_headers, b'{"players":0}'),  # fields missing
        ("GET", "/v4/nothing", 200, json_headers, b"{}"),  # an unknown route that answers
        (
            "GET",
            "/v4/sessions/s/players/1",
            404,
            json_headers,  # an error body naming another path
            b'{"timestamp":1,"status":404,"error":"Not Found","message":"Session not found","path":"/elsewhere"}',
        ),
        ("DELETE", "/v4/sessions/s/players/1", 204, json_headers, b"{}"),  # a body where none belongs
    ]
    for method, path, status, headers, body in refused:
        try:
            checker.check(method, path, status, headers, body)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {method} {path} {status} {body!r}")


async def test_the_api_tests_check_websocket_messages_too(
    node: RunningNode, http: aiohttp.ClientSession, response_checker: ResponseChecker
) -> None:
    before = response_checker.checked_messages
    socket, _, _ = await connect(http, node)
    await socket.next_matching(lambda message: message["op"] == "stats")
    await socket.close()
    assert response_checker.checked_messages >= before + 2  # ready, then stats
