"""JSON in and out of handlers, with orjson and Lavalink's error for a body that is not JSON."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from lavalink_py.api.errors import ApiError


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise ApiError(400, "Required request body is missing")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from exc
