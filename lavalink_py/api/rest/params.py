"""Path and query parameters, read as Lavalink's Spring handlers read them."""

from __future__ import annotations

from aiohttp import web

from lavalink_py.api.errors import ApiError
from lavalink_py.api.keys import NODE
from lavalink_py.player.player import Player
from lavalink_py.protocol.validation import parse_snowflake
from lavalink_py.sessions.session import Session

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0", ""}
_SNOWFLAKE_MAX = 2**63 - 1


def session_of(request: web.Request) -> Session:
    session = request.app[NODE].sessions.get(request.match_info["session_id"])
    if session is None:
        raise ApiError(404, "Session not found")
    return session


def guild_id_of(request: web.Request) -> int:
    raw = request.match_info["guild_id"]
    # Lavalink's `@PathVariable guildId: Long`: a signed 64-bit id, so at most 2^63 - 1.
    guild_id = parse_snowflake(raw, _SNOWFLAKE_MAX, minimum=0)
    if guild_id is None:
        raise ApiError(400, f"guildId: expected a snowflake (a 64-bit decimal integer), got '{raw}'")
    return guild_id


def existing_player(request: web.Request, session: Session) -> Player:
    player = session.player(guild_id_of(request))
    if player is None:
        raise ApiError(404, "Player not found")
    return player


def bool_query(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ApiError(400, f"{name}: expected true or false, got '{raw}'")


def required_query(request: web.Request, name: str) -> str:
    value = request.query.get(name)
    if value is None:
        raise ApiError(400, f"Required request parameter '{name}' is not present")
    return value
