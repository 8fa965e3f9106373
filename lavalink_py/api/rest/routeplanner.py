"""Route planner endpoints. This node has no IP rotation, so it answers as Lavalink does when none is configured."""

from __future__ import annotations

from aiohttp import web

from lavalink_py.api.errors import ApiError

routes = web.RouteTableDef()


@routes.get("/v4/routeplanner/status")
async def status(request: web.Request) -> web.Response:
    return web.Response(status=204)


@routes.post("/v4/routeplanner/free/address")
async def free_address(request: web.Request) -> web.Response:
    raise ApiError(500, "Can't access disabled route planner")


@routes.post("/v4/routeplanner/free/all")
async def free_all(request: web.Request) -> web.Response:
    raise ApiError(500, "Can't access disabled route planner")
