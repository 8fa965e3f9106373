"""JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the bodies the REST API reads and writes.

Written from Lavalink's docs/api/rest.md and websocket.md and checked against what this node answers: response
objects are closed (`additionalProperties: false`) so a field we add or drop by mistake fails the API tests;
request objects are open, since Lavalink's JSON mapper ignores unknown keys. Ranges are those `protocol/filters.py`
and `protocol/player_update.py` enforce.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from lavalink_py.audio.filters import chorus, compressor, echo, highpass, loudness, phaser
from lavalink_py.audio.filters.bounds import Bounded
from lavalink_py.audio.filters.fields import Field
from lavalink_py.audio.frame_loss import CAUSES

Schema = dict[str, Any]

INT64: Final[Schema] = {"type": "integer", "format": "int64"}
STRING: Final[Schema] = {"type": "string"}
BOOLEAN: Final[Schema] = {"type": "boolean"}
NUMBER: Final[Schema] = {"type": "number"}
FREE_OBJECT: Final[Schema] = {"type": "object"}
SNOWFLAKE: Final[Schema] = {"type": "string", "pattern": "^[0-9]+$", "description": "A Discord id, in decimal"}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def closed(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """A response object: exactly these fields, all present but `optional`."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def number_in(minimum: float | None = None, maximum: float | None = None, *, exclusive_min: bool = False) -> Schema:
    schema: Schema = {"type": "number"}
    if minimum is not None:
        schema["exclusiveMinimum" if exclusive_min else "minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return schema


UNIT: Final = number_in(0.0, 1.0)

# Fields of each parametric filter, with the ranges Lavalink documents (and `protocol/filters.py` checks).
_LAVALINK_FILTER_PARAMS: Final[dict[str, dict[str, Schema]]] = {
    "karaoke": {"level": UNIT, "monoLevel": UNIT, "filterBand": NUMBER, "filterWidth": NUMBER},
    "timescale": {"speed": number_in(0.0), "pitch": number_in(0.0), "rate": number_in(0.0)},
    "tremolo": {"frequency": number_in(0.0, exclusive_min=True), "depth": number_in(0.0, 1.0, exclusive_min=True)},
    "vibrato": {
        "frequency": number_in(0.0, 14.0, exclusive_min=True),
        "depth": number_in(0.0, 1.0, exclusive_min=True),
    },
    "rotation": {"rotationHz": NUMBER},
    "distortion": {
        name: NUMBER
        for name in ("sinOffset", "sinScale", "cosOffset", "cosScale", "tanOffset", "tanScale", "offset", "scale")
    },
    "channelMix": {"leftToLeft": UNIT, "leftToRight": UNIT, "rightToLeft": UNIT, "rightToRight": UNIT},
    "lowPass": {"smoothing": NUMBER},
}


def _bounded_fields(fields: Mapping[str, Field]) -> dict[str, Schema]:
    return {
        key: number_in(spec.low, spec.high) if isinstance(spec, Bounded) else NUMBER for key, spec in fields.items()
    }


# The filters beyond Lavalink (docs/filters.md) are keys of `filters` too; their ranges come from their own fields,
# so the document cannot drift from what `parse_fields` checks.
FILTER_PARAMS: Final[dict[str, dict[str, Schema]]] = _LAVALINK_FILTER_PARAMS | {
    spec.name: _bounded_fields(fields)
    for spec, fields in (
        (highpass.HighPassFilter, highpass.FIELDS),
        (echo.EchoFilter, echo.FIELDS),
        (chorus.ChorusFilter, chorus.FIELDS),
        (phaser.PhaserFilter, phaser.FIELDS),
        (compressor.CompressorFilter, compressor.FIELDS),
        (loudness.LoudnessFilter, loudness.FIELDS),
    )
}

BAND: Final[Schema] = {
    "type": "object",
    "properties": {"band": {"type": "integer", "minimum": 0, "maximum": 14}, "gain": number_in(-0.25, 1.0)},
    "required": ["band"],
}


def _filters_request() -> Schema:
    properties: dict[str, Schema] = {
        "volume": nullable(number_in(0.0, 5.0)),
        "equalizer": nullable({"type": "array", "items": BAND}),
        **{
            name: nullable({"type": "object", "properties": {key: nullable(s) for key, s in fields.items()}})
            for name, fields in FILTER_PARAMS.items()
        },
        "pluginFilters": {"type": "object", "description": "Filters of plugins, by plugin name"},
    }
    return {"type": "object", "properties": properties}


def _filters_response() -> Schema:
    properties: dict[str, Schema] = {
        "volume": number_in(0.0, 5.0),
        "equalizer": {"type": "array", "items": {**BAND, "required": ["band", "gain"], "additionalProperties": False}},
        **{name: closed(fields) for name, fields in FILTER_PARAMS.items()},
        "pluginFilters": FREE_OBJECT,
    }
    return closed(properties, optional=tuple(properties))


def _track_schemas() -> dict[str, Schema]:
    return {
        "TrackInfo": closed(
            {
                "identifier": STRING,
                "isSeekable": BOOLEAN,
                "author": STRING,
                "length": INT64,
                "isStream": BOOLEAN,
                "position": INT64,
                "title": STRING,
                "uri": nullable(STRING),
                "sourceName": STRING,
                "artworkUrl": nullable(STRING),
                "isrc": nullable(STRING),
            }
        ),
        "Track": closed(
            {
                "encoded": {"type": "string", "description": "lavaplayer's binary track message, in base64"},
                "info": ref("TrackInfo"),
                "pluginInfo": FREE_OBJECT,
                "userData": FREE_OBJECT,
            }
        ),
        "Exception": closed(
            {
                "message": nullable(STRING),
                "severity": {"enum": ["common", "suspicious", "fault"]},
                "cause": STRING,
                "causeStackTrace": STRING,
            }
        ),
        "LoadResult": {
            "oneOf": [
                closed({"loadType": {"const": "track"}, "data": ref("Track")}),
                closed(
                    {
                        "loadType": {"const": "playlist"},
                        "data": closed(
                            {
                                "info": closed({"name": STRING, "selectedTrack": {"type": "integer", "minimum": -1}}),
                                "pluginInfo": FREE_OBJECT,
                                "tracks": {"type": "array", "items": ref("Track")},
                            }
                        ),
                    }
                ),
                closed({"loadType": {"const": "search"}, "data": {"type": "array", "items": ref("Track")}}),
                # Lavalink sends `"data": null` here (its docs said `{}` until PR #1210 corrected them).
                closed({"loadType": {"const": "empty"}, "data": {"type": "null"}}),
                closed({"loadType": {"const": "error"}, "data": ref("Exception")}),
            ]
        },
    }


def _player_schemas() -> dict[str, Schema]:
    return {
        "PlayerState": closed(
            {"time": INT64, "position": INT64, "connected": BOOLEAN, "ping": {"type": "integer", "minimum": -1}}
        ),
        "VoiceState": closed(
            {"token": STRING, "endpoint": STRING, "sessionId": STRING, "channelId": nullable(SNOWFLAKE)}
        ),
        "Filters": _filters_response(),
        "Player": closed(
            {
                "guildId": SNOWFLAKE,
                "track": nullable(ref("Track")),
                "volume": {"type": "integer", "minimum": 0, "maximum": 1000},
                "paused": BOOLEAN,
                "state": ref("PlayerState"),
                "voice": ref("VoiceState"),
                "filters": ref("Filters"),
                "frames": ref("PlayerFrames"),
            },
            optional=("frames",),
        ),
        "PlayerFrames": {
            **closed(
                {
                    "sent": INT64,
                    "lost": closed({cause: INT64 for cause in CAUSES}),
                    "opusComplexity": nullable({"type": "integer", "minimum": 0, "maximum": 10}),
                    "opusBitrate": nullable({"type": "integer", "minimum": 6000, "maximum": 510000}),
                    "opusBandwidth": nullable({"type": "string", "enum": ["fullband", "superwideband", "wideband"]}),
                }
            ),
            "description": "lavalink_py only (Lavalink clients ignore it): frames sent by this player, every lost "
            "frame by cause, and the libopus complexity, bitrate and band its encoder runs at (null while the "
            "source's Opus packets pass through; lowered by the overload policy under load). docs/endpoints.md",
        },
        "FiltersUpdate": _filters_request(),
        "UpdatePlayerTrack": {
            "type": "object",
            "properties": {"encoded": nullable(STRING), "identifier": STRING, "userData": FREE_OBJECT},
            "not": {"required": ["encoded", "identifier"]},
        },
        "VoiceStateUpdate": {
            "type": "object",
            "properties": {"token": STRING, "endpoint": STRING, "sessionId": STRING, "channelId": SNOWFLAKE},
            "required": ["token", "endpoint", "sessionId", "channelId"],
        },
        "UpdatePlayer": {
            "type": "object",
            "properties": {
                "track": ref("UpdatePlayerTrack"),
                "encodedTrack": {**nullable(STRING), "deprecated": True},
                "identifier": {**STRING, "deprecated": True},
                "position": {"type": "integer", "minimum": 0},
                "endTime": nullable({"type": "integer", "minimum": 1}),
                "volume": {"type": "integer", "minimum": 0, "maximum": 1000},
                "paused": BOOLEAN,
                "filters": ref("FiltersUpdate"),
                "voice": ref("VoiceStateUpdate"),
            },
        },
    }


def _node_schemas() -> dict[str, Schema]:
    return {
        "Error": closed(
            {
                "timestamp": INT64,
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "error": STRING,
                "trace": {"type": "string", "description": "Only with `?trace=true`"},
                "message": STRING,
                "path": STRING,
            },
            optional=("trace",),
        ),
        "SessionUpdate": {"type": "object", "properties": {"resuming": BOOLEAN, "timeout": {"type": "integer"}}},
        "Session": closed({"resuming": BOOLEAN, "timeout": {"type": "integer", "minimum": 0}}),
        "Info": closed(
            {
                "version": closed(
                    {
                        "semver": STRING,
                        "major": {"type": "integer"},
                        "minor": {"type": "integer"},
                        "patch": {"type": "integer"},
                        "preRelease": nullable(STRING),
                        "build": nullable(STRING),
                    }
                ),
                "buildTime": INT64,
                "git": closed({"branch": STRING, "commit": STRING, "commitTime": INT64}),
                "jvm": STRING,
                "lavaplayer": STRING,
                "sourceManagers": {"type": "array", "items": STRING},
                "filters": {"type": "array", "items": STRING},
                "plugins": {"type": "array", "items": closed({"name": STRING, "version": STRING})},
            }
        ),
        "FrameStats": closed(
            {"sent": {"type": "integer"}, "nulled": {"type": "integer"}, "deficit": {"type": "integer"}}
        ),
        "Stats": closed(
            {
                "players": {"type": "integer", "minimum": 0},
                "playingPlayers": {"type": "integer", "minimum": 0},
                "uptime": INT64,
                "memory": closed({name: INT64 for name in ("free", "used", "allocated", "reservable")}),
                "cpu": closed({"cores": {"type": "integer", "minimum": 1}, "systemLoad": UNIT, "lavalinkLoad": UNIT}),
                "frameStats": nullable(ref("FrameStats")),
            },
            # `/v4/stats` never has it; the WebSocket `stats` message always does (see StatsMessage).
            optional=("frameStats",),
        ),
        "RoutePlannerStatus": {
            "type": "object",
            "properties": {"class": nullable(STRING), "details": nullable(FREE_OBJECT)},
        },
        "HealthReport": closed(
            {
                "status": {"enum": ["healthy", "unhealthy"]},
                "failing": {"type": "array", "items": STRING},
                "checks": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"status": {"enum": ["pass", "warn", "fail"]}},
                        "required": ["status"],
                    },
                },
            }
        ),
        "ProbeStatus": closed({"status": STRING}),
    }


def component_schemas() -> dict[str, Schema]:
    """The schemas of the REST bodies (the WebSocket messages are in `openapi_messages.py`)."""
    return {**_track_schemas(), **_player_schemas(), **_node_schemas()}
