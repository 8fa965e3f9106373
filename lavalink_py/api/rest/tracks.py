"""`GET /v4/loadtracks`, `GET /v4/decodetrack`, `POST /v4/decodetracks`."""

from __future__ import annotations

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.api.json import json_response, read_json
from lavalink_py.api.keys import NODE
from lavalink_py.api.rest.params import required_query
from lavalink_py.protocol.load_result import load_result_json
from lavalink_py.protocol.track import Track, track_json
from lavalink_py.protocol.track_codec import TrackDecodeError, decode_track

routes = web.RouteTableDef()


@routes.get("/v4/loadtracks")
async def load_tracks(request: web.Request) -> web.Response:
    identifier = required_query(request, "identifier")
    result = await request.app[NODE].loader.load(identifier)
    return json_response(load_result_json(result))


def decoded(encoded: str) -> Track:
    try:
        return Track(encoded, decode_track(encoded))
    except TrackDecodeError as exc:
        raise ApiError(400, f"Failed to decode track: {exc}") from exc


@routes.get("/v4/decodetrack")
async def decode_one(request: web.Request) -> web.Response:
    encoded = request.query.get("encodedTrack") or request.query.get("track")
    if encoded is None:
        raise ApiError(400, "No track to decode provided")
    return json_response(track_json(decoded(encoded)))


@routes.post("/v4/decodetracks")
async def decode_many(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
        raise ApiError(400, "Expected a JSON array of encoded track strings")
    if not body:
        raise ApiError(400, "No tracks to decode provided")
    return json_response([track_json(decoded(item)) for item in body])
