"""The OpenTelemetry side of `tracing.py`; imported only when `otel.enabled` (see there for the spans).

Our own TracerProvider and propagator, never OpenTelemetry's globals, so a plugin or a test that sets those does
not change what the node exports. Spans are batched and exported from the SDK's own thread; the event loop only
queues them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from lavalink_py.api import trace_scope
from lavalink_py.api.keys import NODE
from lavalink_py.api.middleware import route_label
from lavalink_py.api.rest.tracks import source_label
from lavalink_py.api.trace_scope import RequestScope
from lavalink_py.api.track_spans import TrackSpans
from lavalink_py.config.settings import OtelSettings
from lavalink_py.protocol.load_result import (
    LoadFailed,
    LoadResult,
    NoMatches,
    PlaylistLoaded,
    SearchLoaded,
    TrackLoaded,
)
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sessions.node import TrackLoader
from lavalink_py.sources.base import StreamSpec

SERVICE_NAME: Final = "lavalink_py"
LOADTRACKS_ROUTE: Final = "/v4/loadtracks"
TRACES_PATH: Final = "/v1/traces"

# The loadtracks span of the request being handled, for the loader to annotate with what it found.
_LOAD_SPAN: ContextVar[Span | None] = ContextVar("lavalink_load_span", default=None)


def traces_url(endpoint: str) -> str:
    """`otel.endpoint` is the collector's base URL (as OTEL_EXPORTER_OTLP_ENDPOINT); a full traces URL is kept."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith(TRACES_PATH) else endpoint + TRACES_PATH


def build_provider(otel: OtelSettings, version: str, *, schedule_delay_ms: int) -> TracerProvider:
    attributes: dict[str, str] = {"service.name": SERVICE_NAME, "service.version": version}
    if otel.environment:
        # Both spellings: `deployment.environment` is what most backends still group by; `.name` is the current one.
        attributes["deployment.environment"] = otel.environment
        attributes["deployment.environment.name"] = otel.environment
    headers = {"Authorization": f"Bearer {otel.token}"} if otel.token else None
    assert otel.endpoint is not None, "the config loader requires otel.endpoint when otel.enabled"
    exporter = OTLPSpanExporter(endpoint=traces_url(otel.endpoint), headers=headers, timeout=10)
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=schedule_delay_ms))
    return provider


def load_outcome(result: LoadResult) -> tuple[str, int]:
    """Lavalink's loadType and the number of tracks found."""
    match result:
        case TrackLoaded():
            return "track", 1
        case PlaylistLoaded(tracks=tracks):
            return "playlist", len(tracks)
        case SearchLoaded(tracks=tracks):
            return "search", len(tracks)
        case NoMatches():
            return "empty", 0
        case _:
            return "error", 0


def annotate_load(span: Span, identifier: str, result: LoadResult) -> None:
    load_type, count = load_outcome(result)
    span.set_attributes(
        {
            "lavalink.source": source_label(identifier, result),
            "lavalink.load_type": load_type,
            "lavalink.track_count": count,
        }
    )
    if isinstance(result, LoadFailed):
        span.set_status(Status(StatusCode.ERROR, result.error.message))


class TracedLoader:
    """A loader that tells the current loadtracks span what it loaded; the rest passes through."""

    def __init__(self, inner: TrackLoader) -> None:
        self._inner = inner

    async def load(self, identifier: str) -> LoadResult:
        result = await self._inner.load(identifier)
        span = _LOAD_SPAN.get()
        if span is not None:
            annotate_load(span, identifier, result)
        return result

    def names(self) -> list[str]:
        return self._inner.names()

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return await self._inner.open_stream(info)

    async def close(self) -> None:
        await self._inner.close()


def make_middleware(tracer: Tracer) -> Middleware:
    @web.middleware
    async def tracing(request: web.Request, handler: Handler) -> web.StreamResponse:
        scope = RequestScope(request.match_info.get("session_id"), request.app[NODE], request.headers)
        token = trace_scope.CURRENT.set(scope)
        try:
            if route_label(request) == LOADTRACKS_ROUTE:
                return await _load_tracks(tracer, scope, request, handler)
            return await handler(request)
        finally:
            trace_scope.CURRENT.reset(token)

    return tracing


async def _load_tracks(
    tracer: Tracer, scope: RequestScope, request: web.Request, handler: Handler
) -> web.StreamResponse:
    attributes = {"http.request.method": request.method, "http.route": LOADTRACKS_ROUTE}
    span = tracer.start_span(
        f"{request.method} {LOADTRACKS_ROUTE}", context=scope.parent(), kind=SpanKind.SERVER, attributes=attributes
    )
    load_token = _LOAD_SPAN.set(span)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        _LOAD_SPAN.reset(load_token)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR, f"HTTP {status}"))
        span.end()


class OtelTracing:
    """`tracing.Tracing` over an OTLP/HTTP exporter."""

    def __init__(self, provider: TracerProvider, version: str) -> None:
        self._provider = provider
        tracer = provider.get_tracer(SERVICE_NAME, version)
        self._track_spans = TrackSpans(tracer)
        self._middleware = make_middleware(tracer)

    @classmethod
    def create(cls, otel: OtelSettings, version: str, *, schedule_delay_ms: int = 5000) -> OtelTracing:
        return cls(build_provider(otel, version, schedule_delay_ms=schedule_delay_ms), version)

    @property
    def middleware(self) -> Middleware:
        return self._middleware

    def observe(self, message: dict[str, Any]) -> None:
        self._track_spans.observe(message)

    def wrap_loader(self, loader: TrackLoader) -> TrackLoader:
        return TracedLoader(loader)

    async def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        yield
        # Players were destroyed in on_shutdown, so their spans have ended; shutdown exports them (blocking I/O).
        self._track_spans.end_all("cleanup")
        await asyncio.to_thread(self._provider.shutdown)

    def force_flush(self, timeout_ms: int = 30_000) -> bool:
        return self._provider.force_flush(timeout_ms)
