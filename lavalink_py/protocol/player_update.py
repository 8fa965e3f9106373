"""The body of `PATCH /v4/sessions/{sessionId}/players/{guildId}`, validated whole before anything changes.

Lavalink accepts the track three ways: `track: {encoded|identifier, userData}` (4.0+), or the deprecated top-level
`encodedTrack` / `identifier`. `parse_player_update` folds them into one `TrackRequest` and applies Lavalink's checks
(PlayerRestHandler.patchPlayer) with its messages, plus type and range checks of every field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.filters import Filters, parse_filters
from lavalink_py.protocol.validation import (
    OMITTED,
    Omitted,
    RequestError,
    expect_object,
    get_bool,
    get_int,
    get_str,
    parse_snowflake,
    type_name,
)


@dataclass(frozen=True, slots=True)
class VoiceState:
    token: str
    endpoint: str
    session_id: str
    channel_id: str | None


EMPTY_VOICE = VoiceState("", "", "", None)


@dataclass(frozen=True, slots=True)
class TrackRequest:
    """What to play: `encoded` (None = stop) or `identifier`, or neither when only userData is given."""

    encoded: str | Omitted | None = OMITTED
    identifier: str | Omitted = OMITTED
    user_data: dict[str, Any] | Omitted = OMITTED

    @property
    def plays(self) -> bool:
        return self.encoded is not OMITTED or self.identifier is not OMITTED


@dataclass(frozen=True, slots=True)
class PlayerUpdate:
    track: TrackRequest
    position_ms: int | Omitted = OMITTED
    end_time_ms: int | Omitted | None = OMITTED
    volume: int | Omitted = OMITTED
    paused: bool | Omitted = OMITTED
    filters: Filters | Omitted = OMITTED
    voice: VoiceState | Omitted = OMITTED


def parse_player_update(body: Any) -> PlayerUpdate:
    obj = expect_object(body, "body")
    track = _parse_track(obj)
    end_time: int | Omitted | None = OMITTED
    if "endTime" in obj:
        end_time = None if obj["endTime"] is None else get_int(obj, "endTime", "")
        if isinstance(end_time, int) and end_time <= 0:
            raise RequestError("End time must be greater than 0")
    return PlayerUpdate(
        track=track,
        position_ms=get_int(obj, "position", "", minimum=0),
        end_time_ms=end_time,
        volume=get_int(obj, "volume", "", minimum=0, maximum=1000),
        paused=get_bool(obj, "paused", ""),
        filters=OMITTED if "filters" not in obj else parse_filters(obj["filters"]),
        voice=OMITTED if "voice" not in obj else _parse_voice(obj["voice"]),
    )


def _parse_track(obj: dict[str, Any] | Any) -> TrackRequest:
    legacy = "encodedTrack" in obj or "identifier" in obj
    # `track` is `Omissible<PlayerUpdateTrack>` in Lavalink (protocol v4 player.kt): not nullable, so an explicit
    # null is refused there (OmissableSerializer: "null mark was encountered") rather than read as absent.
    if "track" in obj:
        if legacy:
            raise RequestError("Cannot specify both track and encodedTrack/identifier")
        spec = expect_object(obj["track"], "track")
        request = TrackRequest(
            encoded=get_str(spec, "encoded", "track.", nullable=True),
            identifier=_identifier(get_str(spec, "identifier", "track.")),
            user_data=_user_data(spec),
        )
    else:
        request = TrackRequest(
            encoded=get_str(obj, "encodedTrack", "", nullable=True),
            identifier=_identifier(get_str(obj, "identifier", "")),
        )
    if request.encoded is not OMITTED and request.identifier is not OMITTED:
        raise RequestError("Cannot specify both encodedTrack and identifier")
    return request


def _identifier(value: str | Omitted | None) -> str | Omitted:
    assert value is not None  # get_str without nullable never returns None
    return value


def _user_data(spec: Any) -> dict[str, Any] | Omitted:
    if "userData" not in spec:
        return OMITTED
    value = spec["userData"]
    if not isinstance(value, dict):
        raise RequestError(f"track.userData: expected an object, got {type_name(value)}")
    return value


def _parse_voice(value: Any) -> VoiceState:
    obj = expect_object(value, "voice")
    fields = {key: obj.get(key) for key in ("token", "endpoint", "sessionId", "channelId")}
    for key, item in fields.items():
        if item is not None and not isinstance(item, str):
            raise RequestError(f"voice.{key}: expected a string, got {type_name(item)}")
    if any(not (item and item.strip()) for item in fields.values()):
        raise RequestError("token, endpoint, sessionId and channelId must be provided in voice state")
    channel_id = str(fields["channelId"])
    if parse_snowflake(channel_id) is None:
        raise RequestError(
            f"voice.channelId: expected a snowflake (an unsigned 64-bit decimal integer), got {channel_id!r}"
        )
    return VoiceState(str(fields["token"]), str(fields["endpoint"]), str(fields["sessionId"]), channel_id)
