"""JSON in and out of handlers: Spring's Content-Type check, Lavalink's errors for a body that is not JSON, and
`protocol.json_text` for the text itself (depth bound on the way in, always writable on the way out)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.protocol import json_text

# What Lavalink's JSON converters read (KotlinSerializationJsonHttpMessageConverter, MappingJackson2...).
ACCEPTED = "application/json, application/*+json"
_PARSE_INLINE_BYTES = 64 * 1024


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=json_text.dumps(data), status=status, content_type="application/json")


def _media_type(header: str) -> str:
    """The Content-Type as Spring's MediaType prints it: parameters joined by ';' without spaces."""
    return ";".join(part.strip() for part in header.split(";") if part.strip())


def _is_json(header: str) -> bool:
    mime = header.split(";", 1)[0].strip().lower()
    kind, _, subtype = mime.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    header = request.headers.get("Content-Type")
    if not raw and header is None:
        raise ApiError(400, "Required request body is missing")
    if header is None or not _is_json(header):
        # Spring (HttpMediaTypeNotSupportedException): 415, naming the type; a body without one is octet-stream.
        shown = "application/octet-stream" if header is None else _media_type(header)
        headers = {"Accept": ACCEPTED, **({"Accept-Patch": ACCEPTED} if request.method == "PATCH" else {})}
        raise ApiError(415, f"Content-Type '{shown}' is not supported.", headers)
    if not raw:
        raise ApiError(400, "Required request body is missing")
    try:
        # A large body (up to aiohttp's 1 MiB) takes a while to check and parse: off the event loop.
        if len(raw) <= _PARSE_INLINE_BYTES:
            return json_text.loads(raw)
        return await asyncio.to_thread(json_text.loads, raw)
    except json_text.JsonDepthError as exc:
        raise ApiError(400, f"JSON parse error: {exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"Malformed JSON body: {exc}") from exc
