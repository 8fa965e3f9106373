"""Middlewares, outermost first: Lavalink's API header, the password check, and errors in Lavalink's body.

Lavalink (RequestAuthorizationFilter): no `Authorization` header -> 401, a wrong one -> 403, both with no body.
Every non-2xx a handler or the router produces is rendered as Lavalink's error body; `?trace=true` adds the trace.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from lavalink_py.api.auth import AuthFailure, metrics_authorized, password_matches
from lavalink_py.api.errors import ApiError, error_body
from lavalink_py.api.json import json_response
from lavalink_py.api.keys import AUTH_WARNINGS, COUNTERS, OPTIONS
from lavalink_py.protocol.validation import RequestError

log = logging.getLogger(__name__)


def public(handler: Handler) -> Handler:
    """Mark a handler as answering without the server password (probes; /metrics checks its own credentials)."""
    handler.lavalink_public = True  # type: ignore[attr-defined]
    return handler


def route_label(request: web.Request) -> str:
    """The route template, never the raw path, so the label set stays bounded."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def http_metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status, size = 500, 0
    try:
        response = await handler(request)
        status = response.status
        if isinstance(response, web.Response) and response.body is not None:
            size = len(response.body) if isinstance(response.body, bytes) else response.content_length or 0
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if status != 101:  # a WebSocket's life is measured by the WebSocket metrics
            request.app[COUNTERS].http.observe(
                request.method, route_label(request), status, time.perf_counter() - started, size
            )


@web.middleware
async def api_version_header(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["Lavalink-Api-Version"] = "4"
        raise
    response.headers["Lavalink-Api-Version"] = "4"
    return response


def metrics_challenge() -> web.Response:
    return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="lavalink_py metrics"'})


@web.middleware
async def authorization(request: web.Request, handler: Handler) -> web.StreamResponse:
    # First, before `request.path` caches anything on the request: the WebSocket handshake is public, and what
    # its request holds lives as long as the session (aiohttp keeps it).
    if getattr(request.match_info.handler, "lavalink_public", False):
        return await handler(request)
    options = request.app[OPTIONS]
    supplied = request.headers.get("Authorization")
    if options.metrics_path is not None and request.path == options.metrics_path:
        if metrics_authorized(supplied, options.metrics_auth, options.password):
            return await handler(request)
        auth_failed(request, "missing" if supplied is None else "wrong")
        return metrics_challenge()
    if request.path in options.public_paths:
        return await handler(request)
    if supplied is None:
        auth_failed(request, "missing")
        return web.Response(status=401)
    if not password_matches(supplied, options.password):
        auth_failed(request, "wrong")
        return web.Response(status=403)
    return await handler(request)


def auth_failed(request: web.Request, reason: AuthFailure) -> None:
    """Count a refused request by route template and reason; warn as Lavalink does, at most once a minute."""
    route = route_label(request)
    request.app[COUNTERS].http.auth_failure(route, reason)
    suppressed = request.app[AUTH_WARNINGS].should_log(time.monotonic())
    if suppressed is None:
        return
    what = "missing" if reason == "missing" else "failed"
    more = f" ({suppressed} more refused since the last warning)" if suppressed else ""
    log.warning("Authorization %s for %s on %s %s%s", what, request.remote, request.method, route, more)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    want_trace = request.query.get("trace", "").lower() == "true"
    try:
        return await handler(request)
    except RequestError as exc:
        return json_response(error_body(400, str(exc), request.path, exc if want_trace else None), 400)
    except ApiError as exc:
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.path, exc.message, exc_info=exc)
        response = json_response(
            error_body(exc.status, exc.message, request.path, exc if want_trace else None), exc.status
        )
        response.headers.update(exc.headers)
        return response
    except web.HTTPException as exc:
        if exc.status < 400 or exc.status == 401:
            raise
        message = exc.reason if exc.status != 404 else "Not Found"
        if exc.status == 405:
            message = f"Request method '{request.method}' is not supported"
        return json_response(error_body(exc.status, message, request.path, exc if want_trace else None), exc.status)
    except Exception as exc:
        log.exception("%s %s failed", request.method, request.path)
        return json_response(
            error_body(500, f"Internal error: {exc!r}", request.path, exc if want_trace else None), 500
        )
