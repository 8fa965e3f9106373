"""The result of `/v4/loadtracks`: one of five shapes, and the Exception object Lavalink reports failures with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

from lavalink_py.protocol.track import Track, track_json

Severity = Literal["common", "suspicious", "fault"]


class FriendlyError(Exception):
    """A failure explained to the client: Lavalink's FriendlyException."""

    def __init__(
        self, message: str, severity: Severity = "common", cause: str = "", cause_stack_trace: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.severity: Severity = severity
        self.cause = cause
        self.cause_stack_trace = cause_stack_trace


def exception_json(error: FriendlyError) -> dict[str, Any]:
    return {
        "message": error.message,
        "severity": error.severity,
        "cause": error.cause or f"lavalink_py.FriendlyError: {error.message}",
        "causeStackTrace": error.cause_stack_trace,
    }


@dataclass(frozen=True, slots=True)
class TrackLoaded:
    track: Track


@dataclass(frozen=True, slots=True)
class PlaylistLoaded:
    name: str
    tracks: list[Track]
    selected_track: int = -1
    plugin_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchLoaded:
    tracks: list[Track]


@dataclass(frozen=True, slots=True)
class NoMatches:
    pass


@dataclass(frozen=True, slots=True)
class LoadFailed:
    error: FriendlyError


LoadResult = TrackLoaded | PlaylistLoaded | SearchLoaded | NoMatches | LoadFailed


def load_result_json(result: LoadResult) -> dict[str, Any]:
    match result:
        case TrackLoaded(track=track):
            return {"loadType": "track", "data": track_json(track)}
        case PlaylistLoaded():
            return {
                "loadType": "playlist",
                "data": {
                    "info": {"name": result.name, "selectedTrack": result.selected_track},
                    "pluginInfo": result.plugin_info,
                    "tracks": [track_json(t) for t in result.tracks],
                },
            }
        case SearchLoaded(tracks=tracks):
            return {"loadType": "search", "data": [track_json(t) for t in tracks]}
        case NoMatches():
            # LoadResult.NoMatches (protocol loadResult.kt:70) is built with `data = null`; Lavalink PR #1210
            # corrected the docs that showed `{}`.
            return {"loadType": "empty", "data": None}
        case LoadFailed(error=error):
            return {"loadType": "error", "data": exception_json(error)}
        case _:
            assert_never(result)
