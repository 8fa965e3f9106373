"""`PATCH /v4/sessions/{sessionId}` and the player routes under it."""

from __future__ import annotations

import time

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.api.json import json_response, read_json
from lavalink_py.api.keys import NODE, OPTIONS
from lavalink_py.api.rest.params import bool_query, existing_player, guild_id_of, session_of
from lavalink_py.api.rest.tracks import decoded
from lavalink_py.player.update import apply_update
from lavalink_py.protocol.load_result import LoadFailed, NoMatches, TrackLoaded
from lavalink_py.protocol.player_update import TrackRequest, parse_player_update
from lavalink_py.protocol.track import Track
from lavalink_py.protocol.validation import OMITTED, Omitted, expect_object, get_bool, get_int

routes = web.RouteTableDef()

PLAYER = "/v4/sessions/{session_id}/players/{guild_id}"


def now_ms() -> int:
    return int(time.time() * 1000)


@routes.patch("/v4/sessions/{session_id}")
async def update_session(request: web.Request) -> web.Response:
    body = expect_object(await read_json(request), "body")
    session = session_of(request)
    resuming = get_bool(body, "resuming", "")
    timeout = get_int(body, "timeout", "", minimum=0, maximum=2**31 - 1)
    if not isinstance(resuming, Omitted):
        session.resuming = resuming
    if not isinstance(timeout, Omitted):
        session.timeout_s = timeout
    return json_response({"resuming": session.resuming, "timeout": session.timeout_s})


@routes.get("/v4/sessions/{session_id}/players")
async def list_players(request: web.Request) -> web.Response:
    session = session_of(request)
    now = now_ms()
    return json_response([player.to_json(now) for player in session.players.values()])


@routes.get(PLAYER)
async def get_player(request: web.Request) -> web.Response:
    player = existing_player(request, session_of(request))
    return json_response(player.to_json(now_ms()))


@routes.patch(PLAYER)
async def update_player(request: web.Request) -> web.Response:
    # Spring resolves the handler's arguments first, in order (the body: its Content-Type and JSON; guildId;
    # noReplace), and only then does the handler look the session up: so 415 and 400 come before a 404.
    body = await read_json(request)
    guild_id = guild_id_of(request)
    no_replace = bool_query(request, "noReplace")
    session = session_of(request)
    update = parse_player_update(body, request.app[NODE].audio.filters)
    if not isinstance(update.filters, Omitted):
        disabled = [name for name in update.filters.names() if name in request.app[OPTIONS].disabled_filters]
        if disabled:
            raise ApiError(400, f"Following filters are disabled in the config: {', '.join(disabled)}")
    current = session.player(guild_id)
    skip_track = no_replace and current is not None and current.track is not None
    new_track = OMITTED if skip_track or not update.track.plays else await _resolve(request, update.track)
    player = session.get_or_create_player(guild_id)
    # With noReplace holding, the track and what goes with it (paused, position, endTime, userData) are skipped,
    # the rest applied, as Lavalink does.
    apply_update(player, update, new_track, now_ms())
    return json_response(player.to_json(now_ms()))


async def _resolve(request: web.Request, spec: TrackRequest) -> Track | None:
    if not isinstance(spec.encoded, Omitted):
        return None if spec.encoded is None else decoded(request, spec.encoded)
    assert isinstance(spec.identifier, str)
    result = await request.app[NODE].loader.load(spec.identifier)
    match result:
        case TrackLoaded(track=track):
            return track
        case LoadFailed(error=error):
            raise ApiError(400, error.message)
        case NoMatches():
            raise ApiError(400, "No matches found for identifier")
        case _:
            raise ApiError(400, "Cannot play a playlist or search result")


@routes.delete(PLAYER)
async def destroy_player(request: web.Request) -> web.Response:
    session = session_of(request)
    session.destroy_player(guild_id_of(request))
    return web.Response(status=204)
