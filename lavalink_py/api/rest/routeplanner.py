"""Route planner endpoints, as Lavalink's RoutePlannerRestHandler: status (204 without a planner), and freeing
failing addresses (500 "Can't access disabled route planner" without one). Spring reads the body before the
handler runs, so a bad body is refused (415/400) even when no planner is configured."""

from __future__ import annotations

import asyncio
import socket

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.api.json import json_response, read_json
from lavalink_py.api.keys import ROUTE_PLANNER
from lavalink_py.protocol.routeplanner import status_json
from lavalink_py.protocol.validation import expect_object, type_name
from lavalink_py.sources.routing.ip_blocks import IpAddress, parse_address

routes = web.RouteTableDef()

DISABLED = "Can't access disabled route planner"
_MISSING_ADDRESS = (
    "JSON parse error: Field 'address' is required for type with serial name "
    "'dev.arbjerg.lavalink.protocol.v4.RoutePlannerFreeAddress', but it was missing at path: $"
)


@routes.get("/v4/routeplanner/status")
async def status(request: web.Request) -> web.Response:
    current = request.app[ROUTE_PLANNER].status()
    if current is None:
        return web.Response(status=204)
    return json_response(status_json(current))


@routes.post("/v4/routeplanner/free/address")
async def free_address(request: web.Request) -> web.Response:
    body = expect_object(await read_json(request), "body")
    if "address" not in body:
        raise ApiError(400, _MISSING_ADDRESS)
    text = body["address"]
    if not isinstance(text, str):
        raise ApiError(400, f"JSON parse error: address: expected a string, got {type_name(text)}")
    outbound = request.app[ROUTE_PLANNER]
    if not outbound.enabled:
        raise ApiError(500, DISABLED)
    outbound.free_address(await _address(text))
    return web.Response(status=204)


@routes.post("/v4/routeplanner/free/all")
async def free_all(request: web.Request) -> web.Response:
    outbound = request.app[ROUTE_PLANNER]
    if not outbound.enabled:
        raise ApiError(500, DISABLED)
    outbound.free_all()
    return web.Response(status=204)


async def _address(text: str) -> IpAddress:
    """An IP literal, or a host name resolved as `InetAddress.getByName` would (400 when it cannot be)."""
    try:
        return parse_address(text)
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(text, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise ApiError(400, f"Invalid address: {text}: Name or service not known") from exc
    return parse_address(str(found[0][4][0]))
