"""Optional OpenTelemetry tracing (`otel.*`): what `app.py` wires, without importing OpenTelemetry.

With `otel.enabled` false, `build_tracing` returns None and nothing is wired: no middleware, no observer, no
OpenTelemetry module imported. When enabled, the implementation in `tracing_otel.py` exports over OTLP/HTTP:
- a span per `GET /v4/loadtracks` (source, load type, track count; error status when the load failed);
- a span per track played, from its TrackStartEvent to its TrackEndEvent (guild, session, source, title, end
  reason; a TrackExceptionEvent becomes a span event and sets the error status);
- a W3C `traceparent` on any REST call is the parent of what the call starts (a PATCH that plays a track makes
  the track span a child of the client's trace).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Middleware

from lavalink_py.config.settings import OtelSettings
from lavalink_py.sessions.node import TrackLoader
from lavalink_py.sessions.session import MessageObserver


class Tracing(Protocol):
    """What the application wires when tracing is on."""

    @property
    def middleware(self) -> Middleware:
        """Spans `GET /v4/loadtracks`; keeps the call's session and `traceparent` for the spans it starts."""
        ...

    def observe(self, message: dict[str, Any]) -> None:
        """A session message observer: opens and ends the track spans."""

    def wrap_loader(self, loader: TrackLoader) -> TrackLoader:
        """The loader whose results annotate the loadtracks span."""
        ...

    def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """Flushes and stops the exporter when the application stops."""
        ...

    def force_flush(self, timeout_ms: int = 30_000) -> bool:
        """Blocks until the spans ended so far are exported (run it off the event loop)."""
        ...


TRACING = web.AppKey("tracing", Tracing)


def build_tracing(otel: OtelSettings, version: str, *, schedule_delay_ms: int = 5000) -> Tracing | None:
    """None when tracing is off; then OpenTelemetry is never imported."""
    if not otel.enabled:
        return None
    # Imported here so a node without tracing neither loads nor pays for the SDK.
    from lavalink_py.api.tracing_otel import OtelTracing

    return OtelTracing.create(otel, version, schedule_delay_ms=schedule_delay_ms)


def observe_all(*observers: MessageObserver) -> MessageObserver:
    """One observer that hands each message to every observer, in order."""

    def observe(message: dict[str, Any]) -> None:
        for observer in observers:
            observer(message)

    return observe
