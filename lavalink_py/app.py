"""build_app(settings) wires every part together; run() serves it."""

from __future__ import annotations

import weakref

from aiohttp import web

from lavalink_py.api import middleware, tickers, websocket
from lavalink_py.api.keys import NODE, OPTIONS
from lavalink_py.api.options import ApiOptions
from lavalink_py.api.rest import info, routeplanner, sessions, tracks
from lavalink_py.sessions.node import Node


def assemble(options: ApiOptions, node: Node) -> web.Application:
    app = web.Application(
        middlewares=[middleware.api_version_header, middleware.errors, middleware.authorization],
    )
    app[OPTIONS] = options
    app[NODE] = node
    app[websocket.SOCKETS] = weakref.WeakSet()
    for table in (info.routes, tracks.routes, sessions.routes, routeplanner.routes, websocket.routes):
        app.add_routes(table)
    app.cleanup_ctx.append(tickers.tickers)
    app.on_shutdown.append(websocket.close_all)
    app.on_shutdown.append(lambda _app: _shutdown_sessions(node))
    return app


async def _shutdown_sessions(node: Node) -> None:
    node.sessions.shutdown()


def run() -> int:
    raise NotImplementedError("wired to configuration in the next commit")
