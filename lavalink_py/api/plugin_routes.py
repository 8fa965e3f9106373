"""Plugin routes are served like the node's own, behind the same middlewares; a crash inside one answers 500 in
Lavalink's error body naming the plugin, and is logged with its traceback."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.protocol.validation import RequestError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guard(plugin: str, handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (web.HTTPException, ApiError, RequestError):
            raise  # a deliberate answer (404, 400 ...) stays as the plugin chose it
        except Exception as exc:
            log.exception("plugin %s: %s %s raised", plugin, request.method, request.path)
            raise ApiError(500, f"plugin {plugin} failed: {type(exc).__name__}: {exc}") from exc

    return guarded


def add_routes(app: web.Application, plugin: str, method: str, path: str, handler: Handler) -> None:
    try:
        app.router.add_route(method, path, guard(plugin, handler))
    except (RuntimeError, ValueError) as exc:  # same method and path twice, or a malformed path
        raise ValueError(f"plugin {plugin}: route {method} {path} refused: {exc}") from None
