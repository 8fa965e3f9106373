"""aiohttp handlers for /metrics, /v4/health, /v4/ready and /v4/alive, and a small app for a metrics port.

Authentication of the main app is the API's middleware; `basic_auth_middleware` serves the separate metrics
port (metrics.prometheus.port) and tests.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client.aiohttp import make_aiohttp_handler

from lavalink_py.metrics.health import (
    HealthInputs,
    HealthThresholds,
    Readiness,
    evaluate,
    http_status,
)
from lavalink_py.metrics.inputs import SourceStatusSource, VoiceStatsSource
from lavalink_py.metrics.registry import NodeMetrics


def make_metrics_handler(metrics: NodeMetrics) -> Handler:
    """prometheus-client's exposition: text or OpenMetrics by Accept, `name[]` filtering, gzip by aiohttp."""
    return make_aiohttp_handler(metrics.registry)


def gather_health_inputs(
    metrics: NodeMetrics, voice: VoiceStatsSource | None, sources: SourceStatusSource | None
) -> HealthInputs:
    system = metrics.system_snapshot()
    lag = metrics.lag_monitor
    return HealthInputs(
        memory_percent=system.memory_percent if system is not None else None,
        disk_percent=system.disk_percent() if system is not None else None,
        event_loop_lag_ms=lag.recent_max_lag_s * 1000.0 if lag.samples else None,
        voice=voice.voice_stats() if voice is not None else None,
        sources=dict(sources.source_status()) if sources is not None else None,
        collectors=metrics.collector_status(),
    )


def make_health_handler(
    metrics: NodeMetrics,
    thresholds: HealthThresholds,
    *,
    voice: VoiceStatsSource | None = None,
    sources: SourceStatusSource | None = None,
) -> Handler:
    async def health(_request: web.Request) -> web.StreamResponse:
        report = evaluate(gather_health_inputs(metrics, voice, sources), thresholds)
        return web.json_response(report, status=http_status(report))

    return health


def make_ready_handler(readiness: Readiness) -> Handler:
    async def ready(_request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": readiness.state}, status=200 if readiness.ready else 503)

    return ready


def make_alive_handler() -> Handler:
    # Answering at all proves the event loop runs; a blocked loop times the probe out.
    async def alive(_request: web.Request) -> web.StreamResponse:
        return web.json_response({"status": "alive"})

    return alive


def basic_credentials(header: str) -> tuple[bytes, bytes] | None:
    """(user, secret) of `Basic base64(user:secret)`, or None when the header is not well-formed Basic.

    Any header is safe here: non-ASCII (or, from aiohttp, surrogate-escaped non-UTF-8) text is not base64."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.isascii():
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return None
    user, sep, secret = decoded.partition(b":")
    return (user, secret) if sep else None


def basic_auth_matches(header: str, username: str, password: str) -> bool:
    """Whether an Authorization header carries these Basic credentials (constant-time comparisons)."""
    credentials = basic_credentials(header)
    user, secret = credentials if credentials is not None else (b"", b"")
    # Both comparisons always run, so timing does not tell which half was wrong.
    user_ok = hmac.compare_digest(user, username.encode())
    secret_ok = hmac.compare_digest(secret, password.encode())
    return credentials is not None and user_ok and secret_ok


def basic_auth_middleware(username: str, password: str, realm: str = "lavalink_py metrics") -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if basic_auth_matches(request.headers.get(hdrs.AUTHORIZATION, ""), username, password):
            return await handler(request)
        raise web.HTTPUnauthorized(headers={hdrs.WWW_AUTHENTICATE: f'Basic realm="{realm}"'})

    return middleware


def build_metrics_app(
    metrics: NodeMetrics, path: str = "/metrics", auth: tuple[str, str] | None = None
) -> web.Application:
    """A tiny app serving only `path`, for metrics.prometheus.port; `auth` is (username, password)."""
    middlewares = [basic_auth_middleware(*auth)] if auth is not None else []
    app = web.Application(middlewares=middlewares)
    app.router.add_get(path, make_metrics_handler(metrics))
    return app
