"""JSON Schemas of the messages `/v4/websocket` sends (server to client), from Lavalink's docs/api/websocket.md.

OpenAPI has no WebSocket; the document carries these under `components/schemas` for clients, and the tests check
every message they receive against `WebSocketMessage`.
"""

from __future__ import annotations

from lavalink_py.api.openapi_schemas import BOOLEAN, INT64, SNOWFLAKE, STRING, Schema, closed, ref


def message_schemas(stats: Schema) -> dict[str, Schema]:
    """The messages of `/v4/websocket` (server to client). OpenAPI has no WebSocket; these are for clients and tests."""
    track_event = {"track": ref("Track")}
    events: list[Schema] = [
        closed({"type": {"const": "TrackStartEvent"}, **track_event}),
        closed(
            {
                "type": {"const": "TrackEndEvent"},
                **track_event,
                "reason": {"enum": ["finished", "loadFailed", "stopped", "replaced", "cleanup"]},
            }
        ),
        closed({"type": {"const": "TrackExceptionEvent"}, **track_event, "exception": ref("Exception")}),
        closed({"type": {"const": "TrackStuckEvent"}, **track_event, "thresholdMs": INT64}),
        closed(
            {
                "type": {"const": "WebSocketClosedEvent"},
                "code": {"type": "integer"},
                "reason": STRING,
                "byRemote": BOOLEAN,
            }
        ),
    ]
    common = {"op": {"const": "event"}, "guildId": SNOWFLAKE}
    return {
        "ReadyMessage": closed({"op": {"const": "ready"}, "resumed": BOOLEAN, "sessionId": STRING}),
        "PlayerUpdateMessage": closed(
            {"op": {"const": "playerUpdate"}, "guildId": SNOWFLAKE, "state": ref("PlayerState")}
        ),
        # Lavalink always writes `frameStats` here, as null when there is nothing to report.
        "StatsMessage": closed({"op": {"const": "stats"}, **stats["properties"]}),
        "EventMessage": {
            "oneOf": [
                {**event, "properties": {**common, **event["properties"]}, "required": [*common, *event["required"]]}
                for event in events
            ]
        },
        "WebSocketMessage": {
            "oneOf": [ref(name) for name in ("ReadyMessage", "PlayerUpdateMessage", "StatsMessage", "EventMessage")]
        },
    }
