"""The OpenAPI 3.1 document of the REST API, served at `GET /v4/openapi.json`.

Built here rather than kept as a file so its version is the node's and its schemas sit next to the code that
answers (`openapi_schemas.py`). Every route of `app.build_app` is described with each status it can answer; a
status missing here is a bug of the node or of this document, and the API tests fail on either (they check every
response against it).

The document needs the password, like every route Lavalink serves (its `RequestAuthorizationFilter` exempts only
the metrics endpoint and `/error`): a public document would be the one unauthenticated `/v4` route and would tell
anyone who finds the port what answers there.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from lavalink_py.api.json import json_response
from lavalink_py.api.keys import OPTIONS
from lavalink_py.api.openapi_messages import message_schemas
from lavalink_py.api.openapi_schemas import SNOWFLAKE, Schema, component_schemas, ref

routes = web.RouteTableDef()

OPENAPI_PATH: Final = "/v4/openapi.json"
JSON: Final = "application/json"
PLAYER: Final = "/v4/sessions/{sessionId}/players/{guildId}"


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _content(media_type: str, description: str) -> Schema:
    return {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}


def _error(description: str) -> Schema:
    return {"$ref": f"#/components/responses/{description}"}


_PROBLEMS: Final[dict[str, Schema]] = {
    "BadRequest": _json(ref("Error"), "The request is malformed; `message` names the field"),
    "NotFound": _json(ref("Error"), "No such session or player (or route)"),
    "MethodNotAllowed": _json(ref("Error"), "The route does not take this method"),
    "UnsupportedMediaType": _json(ref("Error"), "The body is not `application/json`"),
    "Unauthorized": {"description": "No `Authorization` header (no body, as Lavalink)"},
    "Forbidden": {"description": "Wrong password (no body, as Lavalink)"},
}
_API_HEADER: Final = {"Lavalink-Api-Version": {"$ref": "#/components/headers/LavalinkApiVersion"}}
_AUTH: Final = {"401": _error("Unauthorized"), "403": _error("Forbidden")}


def _op(summary: str, responses: dict[str, Schema], **extra: Any) -> Schema:
    return {"summary": summary, "responses": {**responses, **_AUTH}, **extra}


def _body(schema: Schema) -> Schema:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _param(name: str, where: str, schema: Schema, description: str, *, required: bool = True) -> Schema:
    return {"name": name, "in": where, "required": required, "schema": schema, "description": description}


_SESSION_ID: Final = _param("sessionId", "path", {"type": "string"}, "The `sessionId` of the `ready` message")
_GUILD_ID: Final = _param("guildId", "path", SNOWFLAKE, "The guild's id (unsigned 64-bit, decimal)")
_TRACE: Final = _param("trace", "query", {"type": "boolean"}, "Add the stack trace to an error body", required=False)
_REFUSALS: Final = {"400": _error("BadRequest"), "404": _error("NotFound")}


def _track_paths() -> dict[str, Schema]:
    encoded = {"type": "string"}
    return {
        "/v4/loadtracks": {
            "get": _op(
                "Resolve an identifier (URL, path or `prefix:query` search) into tracks",
                {
                    "200": _json(ref("LoadResult"), "What was found; a failure is `loadType: error`"),
                    "400": _error("BadRequest"),
                },
                parameters=[_param("identifier", "query", {"type": "string"}, "What to load")],
            )
        },
        "/v4/decodetrack": {
            "get": _op(
                "Decode one encoded track",
                {"200": _json(ref("Track"), "The track"), "400": _error("BadRequest")},
                parameters=[
                    _param("encodedTrack", "query", encoded, "The encoded track", required=False),
                    _param("track", "query", encoded, "Its older name, when `encodedTrack` is absent", required=False),
                ],
            )
        },
        "/v4/decodetracks": {
            "post": _op(
                "Decode many encoded tracks",
                {
                    "200": _json({"type": "array", "items": ref("Track")}, "The tracks, in order"),
                    "400": _error("BadRequest"),
                    "415": _error("UnsupportedMediaType"),
                },
                requestBody=_body({"type": "array", "items": encoded, "minItems": 1}),
            )
        },
    }


def _player_paths() -> dict[str, Schema]:
    no_replace = _param(
        "noReplace", "query", {"type": "boolean"}, "Keep a playing track (and its position, pause…)", required=False
    )
    return {
        "/v4/sessions/{sessionId}": {
            "parameters": [_SESSION_ID],
            "patch": _op(
                "Set whether the session resumes after its socket closes, and for how long",
                {
                    "200": _json(ref("Session"), "The session's settings"),
                    **_REFUSALS,
                    "415": _error("UnsupportedMediaType"),
                },
                requestBody=_body(ref("SessionUpdate")),
            ),
        },
        "/v4/sessions/{sessionId}/players": {
            "parameters": [_SESSION_ID],
            "get": _op(
                "The session's players",
                {"200": _json({"type": "array", "items": ref("Player")}, "Every player"), "404": _error("NotFound")},
            ),
        },
        PLAYER: {
            "parameters": [_SESSION_ID, _GUILD_ID],
            "get": _op("One player", {"200": _json(ref("Player"), "The player"), **_REFUSALS}),
            "patch": _op(
                "Create or update a player; a refused update changes nothing",
                {
                    "200": _json(ref("Player"), "The player after it"),
                    **_REFUSALS,
                    "415": _error("UnsupportedMediaType"),
                },
                parameters=[no_replace],
                requestBody=_body(ref("UpdatePlayer")),
            ),
            "delete": _op(
                "Destroy a player (also when there is none)",
                {"204": {"description": "Destroyed"}, **_REFUSALS},
            ),
        },
    }


def _node_paths() -> dict[str, Schema]:
    text = _content("text/plain", "")["content"]
    disabled = _json(ref("Error"), "No route planner is configured (`ratelimit.ipBlocks`): Lavalink answers so too")
    return {
        "/version": {"get": _op("The version, as plain text", {"200": {"description": "Semver", "content": text}})},
        "/v4/info": {"get": _op("What this node is and can do", {"200": _json(ref("Info"), "The node")})},
        "/v4/stats": {"get": _op("Node statistics (never `frameStats`)", {"200": _json(ref("Stats"), "Stats")})},
        "/v4/routeplanner/status": {
            "get": _op(
                "Route planner status",
                {"200": _json(ref("RoutePlannerStatus"), "Status"), "204": {"description": "No route planner"}},
            )
        },
        "/v4/routeplanner/free/address": {
            "post": _op(
                "Unmark a failed address (an IP literal, or a host name resolved as Java's InetAddress does)",
                {
                    "204": {"description": "Done"},
                    "400": _error("BadRequest"),
                    "415": _error("UnsupportedMediaType"),
                    "500": disabled,
                },
                requestBody=_body(
                    {"type": "object", "properties": {"address": {"type": "string"}}, "required": ["address"]}
                ),
            )
        },
        "/v4/routeplanner/free/all": {
            "post": _op("Unmark all failed addresses", {"204": {"description": "Done"}, "500": disabled})
        },
        "/v4/websocket": {
            "get": _op(
                "Open the session's WebSocket (headers `User-Id`, `Client-Name`, `Session-Id` to resume)",
                {
                    "101": {"description": "Switching protocols; the response has `Session-Resumed: true|false`"},
                    "400": {
                        **_json(
                            ref("Error"),
                            "`User-Id` missing or not a snowflake (no body, as Lavalink), or an "
                            "upgrade request that breaks RFC 6455 (error body)",
                        ),
                        "x-body-optional": True,
                    },
                },
            )
        },
        "/v4/health": {
            "get": _op(
                "Health checks with values and thresholds",
                {"200": _json(ref("HealthReport"), "Healthy"), "503": _json(ref("HealthReport"), "A check fails")},
            )
        },
        "/v4/ready": {
            "get": {
                **_op(
                    "Readiness",
                    {
                        "200": _json(ref("ProbeStatus"), "Ready"),
                        "503": _json(ref("ProbeStatus"), "Starting or draining"),
                    },
                ),
                "security": [{}, {"password": []}],
                "description": "Public unless `health.probes.auth` is set.",
            }
        },
        "/v4/alive": {
            "get": {
                **_op("Liveness: answering at all is the proof", {"200": _json(ref("ProbeStatus"), "Alive")}),
                "security": [{}, {"password": []}],
                "description": "Public unless `health.probes.auth` is set.",
            }
        },
        "/metrics": {
            "get": {
                **_op("Prometheus exposition", {"200": {"description": "Text or OpenMetrics", "content": text}}),
                "security": [{"password": []}, {"basic": []}],
                "description": "At `metrics.prometheus.endpoint` when enabled; Basic credentials when configured.",
            }
        },
        OPENAPI_PATH: {"get": _op("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")})},
        "/status": {
            "get": {
                **_op("The live status page (HTML; it holds no data)", {"200": _content("text/html", "The page")}),
                "security": [{}],
            }
        },
        "/v4/status/stream": {
            "get": _op(
                "Server-sent events: a snapshot of sessions, players, sources, health and recent errors each second",
                {"200": _content("text/event-stream", "`data: {json}` events until the client or the node goes")},
            )
        },
    }


def openapi_document(version: str) -> dict[str, Any]:
    paths = {**_node_paths(), **_track_paths(), **_player_paths()}
    schemas = component_schemas()
    problems = {name: {**response, "headers": _API_HEADER} for name, response in _PROBLEMS.items()}
    for item in paths.values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            operation.setdefault("parameters", []).append(_TRACE)
            for response in operation["responses"].values():
                if "$ref" not in response:
                    response["headers"] = _API_HEADER
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "lavalink_py",
            "version": version,
            "summary": "Lavalink v4's REST API, as this node serves it",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "security": [{"password": []}],
        "paths": paths,
        "components": {
            "schemas": {**schemas, **message_schemas(schemas["Stats"])},
            "responses": problems,
            "headers": {
                "LavalinkApiVersion": {
                    "schema": {"const": "4"},
                    "required": True,
                    "description": "Added to every response, as Lavalink does",
                }
            },
            "securitySchemes": {
                "password": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The server password, verbatim (`lavalink.server.password`)",
                },
                "basic": {"type": "http", "scheme": "basic", "description": "`metrics.prometheus.auth`"},
            },
        },
    }


@routes.get(OPENAPI_PATH)
async def openapi(request: web.Request) -> web.Response:
    return json_response(openapi_document(request.app[OPTIONS].version))
