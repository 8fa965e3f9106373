"""`GET /v4/loadtracks`, `GET /v4/decodetrack`, `POST /v4/decodetracks`."""

from __future__ import annotations

import time

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.api.json import json_response, read_json
from lavalink_py.api.keys import COUNTERS, NODE, OPTIONS
from lavalink_py.api.rest.params import required_query
from lavalink_py.metrics.counters import TrackLoadResult
from lavalink_py.protocol.load_result import (
    LoadFailed,
    LoadResult,
    NoMatches,
    PlaylistLoaded,
    SearchLoaded,
    TrackLoaded,
    load_result_json,
)
from lavalink_py.protocol.track import Track, track_json
from lavalink_py.protocol.track_codec import TrackDecodeError, decode_track

routes = web.RouteTableDef()


_SEARCH_SOURCES = {"ytsearch": "youtube", "ytmsearch": "youtube", "scsearch": "soundcloud", "bcsearch": "bandcamp"}


def source_label(identifier: str, result: LoadResult) -> str:
    """The source a load concerned, from a bounded set: the tracks' source, else what the identifier names."""
    match result:
        case TrackLoaded(track=track):
            return track.info.source_name
        case PlaylistLoaded(tracks=[first, *_]) | SearchLoaded(tracks=[first, *_]):
            return first.info.source_name
    prefix, colon, _ = identifier.partition(":")
    if colon and prefix in _SEARCH_SOURCES:
        return _SEARCH_SOURCES[prefix]
    if prefix in ("http", "https"):
        return "http"
    return "local" if identifier.startswith(("/", "./", "../")) else "unknown"


def load_outcome(result: LoadResult) -> TrackLoadResult:
    match result:
        case NoMatches():
            return "not_found"
        case LoadFailed(error=error):
            return "timeout" if "timed out" in error.message.lower() else "error"
        case _:
            return "loaded"


@routes.get("/v4/loadtracks")
async def load_tracks(request: web.Request) -> web.Response:
    identifier = required_query(request, "identifier")
    started = time.perf_counter()
    result = await request.app[NODE].loader.load(identifier)
    request.app[COUNTERS].tracks.observe(
        source_label(identifier, result), load_outcome(result), time.perf_counter() - started
    )
    return json_response(load_result_json(result))


def decoded(request: web.Request, encoded: str) -> Track:
    """A client's encoded track, with the pluginInfo the plugins derive from it (Lavalink's modifiers run on every
    track it serializes, so a decoded or played track shows what the loaded one showed)."""
    try:
        track = Track(encoded, decode_track(encoded))
    except TrackDecodeError as exc:
        raise ApiError(400, f"Failed to decode track: {exc}") from exc
    decorate = request.app[OPTIONS].decorate_track
    return track if decorate is None else decorate(track)


@routes.get("/v4/decodetrack")
async def decode_one(request: web.Request) -> web.Response:
    encoded = request.query.get("encodedTrack") or request.query.get("track")
    if encoded is None:
        raise ApiError(400, "No track to decode provided")
    return json_response(track_json(decoded(request, encoded)))


@routes.post("/v4/decodetracks")
async def decode_many(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, list) or not all(isinstance(item, str) for item in body):
        raise ApiError(400, "Expected a JSON array of encoded track strings")
    if not body:
        raise ApiError(400, "No tracks to decode provided")
    return json_response([track_json(decoded(request, item)) for item in body])
