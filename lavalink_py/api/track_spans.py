"""A span per track played, from the session messages: TrackStartEvent opens it, TrackEndEvent ends it.

Session messages carry the guild but not the session, so the span's session is the `{session_id}` of the REST call
that started the track (TrackStartEvent is emitted synchronously inside that PATCH). Spans are keyed by guild and
encoded track; when two sessions play the same track in the same guild, the one whose player no longer holds the
track is the one ending (a player drops its track before it emits TrackEndEvent).
Imported only with tracing on (it imports OpenTelemetry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from lavalink_py.api import trace_scope
from lavalink_py.player.player import Player

SPAN_NAME: Final = "track"


@dataclass(slots=True)
class _Playing:
    span: Span
    player: Player | None


def _track_key(message: dict[str, Any]) -> tuple[str, str] | None:
    track = message.get("track")
    if not isinstance(track, dict):
        return None
    return str(message.get("guildId", "")), str(track.get("encoded", ""))


class TrackSpans:
    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer
        self._open: dict[tuple[str, str], list[_Playing]] = {}
        self._handlers: dict[str, Callable[[tuple[str, str], dict[str, Any]], None]] = {
            "TrackStartEvent": self._start,
            "TrackEndEvent": self._end,
            "TrackExceptionEvent": self._exception,
            "TrackStuckEvent": self._stuck,
        }

    @property
    def open_count(self) -> int:
        return sum(len(playing) for playing in self._open.values())

    def observe(self, message: dict[str, Any]) -> None:
        if message.get("op") != "event" or (handler := self._handlers.get(message.get("type", ""))) is None:
            return
        if (key := _track_key(message)) is not None:
            handler(key, message)

    def end_all(self, reason: str) -> None:
        """Ends what is still open (the node stops), so no span is lost."""
        for playing in self._open.values():
            for entry in playing:
                entry.span.set_attribute("lavalink.track.end_reason", reason)
                entry.span.end()
        self._open.clear()

    def _start(self, key: tuple[str, str], message: dict[str, Any]) -> None:
        info = message["track"].get("info", {})
        attributes: dict[str, str | int] = {
            "lavalink.guild_id": key[0],
            "lavalink.track.source": str(info.get("sourceName", "")),
            "lavalink.track.title": str(info.get("title", "")),
            "lavalink.track.length_ms": int(info.get("length", 0)),
        }
        player, parent = None, None
        if (scope := trace_scope.CURRENT.get()) is not None:
            # Started by this REST call (the PATCH): its session, and its `traceparent` as the parent.
            parent = scope.parent()
            if scope.session_id is not None:
                attributes["lavalink.session_id"] = scope.session_id
                session = scope.node.sessions.get(scope.session_id)
                player = None if session is None else session.player(int(key[0]))
        span = self._tracer.start_span(SPAN_NAME, context=parent, kind=SpanKind.INTERNAL, attributes=attributes)
        self._open.setdefault(key, []).append(_Playing(span, player))

    def _end(self, key: tuple[str, str], message: dict[str, Any]) -> None:
        playing = self._open.get(key)
        if not playing:
            return
        ending = next((p for p in playing if p.player is not None and _no_longer_plays(p.player, key[1])), playing[0])
        playing.remove(ending)
        if not playing:
            del self._open[key]
        reason = str(message.get("reason", ""))
        ending.span.set_attribute("lavalink.track.end_reason", reason)
        if reason == "loadFailed":
            ending.span.set_status(Status(StatusCode.ERROR, "track failed to load or play"))
        ending.span.end()

    def _exception(self, key: tuple[str, str], message: dict[str, Any]) -> None:
        if not (playing := self._open.get(key)):
            return
        exception = message.get("exception") or {}
        text = str(exception.get("message", ""))
        playing[0].span.add_event(
            "exception",
            {
                "exception.type": "FriendlyException",
                "exception.message": text,
                "exception.stacktrace": str(exception.get("causeStackTrace") or exception.get("cause", "")),
                "lavalink.exception.severity": str(exception.get("severity", "")),
            },
        )
        playing[0].span.set_status(Status(StatusCode.ERROR, text))

    def _stuck(self, key: tuple[str, str], message: dict[str, Any]) -> None:
        if playing := self._open.get(key):
            playing[0].span.add_event("stuck", {"lavalink.threshold_ms": int(message.get("thresholdMs", 0))})


def _no_longer_plays(player: Player, encoded: str) -> bool:
    return player.track is None or player.track.encoded != encoded
