"""build_app(settings) wires every part together; run() serves it until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor

from aiohttp import web

from lavalink_py import LAVALINK_API_VERSION, __version__
from lavalink_py.api import middleware, openapi, persistence, plugin_routes, status_page, tickers, websocket
from lavalink_py.api.auth import AuthWarnings
from lavalink_py.api.bad_requests import BadRequestLog
from lavalink_py.api.error_reports import ERROR_REPORTS, build_error_reports
from lavalink_py.api.keys import AUTH_WARNINGS, COUNTERS, NODE, OPTIONS, ROUTE_PLANNER
from lavalink_py.api.node_view import NodeView, count_player_events
from lavalink_py.api.options import ApiOptions
from lavalink_py.api.rest import info, routeplanner, sessions, tracks
from lavalink_py.api.tracing import TRACING, build_tracing, observe_all
from lavalink_py.audio import AudioEngine, EngineSettings, OverloadSettings, ResamplingQuality
from lavalink_py.config import Settings
from lavalink_py.metrics.config import CollectorConfig, MetricsConfig
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.metrics.handlers import (
    gather_health_inputs,
    make_alive_handler,
    make_health_handler,
    make_metrics_handler,
    make_ready_handler,
)
from lavalink_py.metrics.health import HealthThresholds, Readiness, evaluate
from lavalink_py.metrics.loading import CollectorLoadError
from lavalink_py.metrics.probes import InstrumentedThreadPool
from lavalink_py.metrics.registry import NodeMetrics
from lavalink_py.player.services import WorkerVoice
from lavalink_py.plugins import (
    PluginInfoLoader,
    PluginLoadError,
    Registrations,
    build_plugins,
    track_with_plugin_info,
)
from lavalink_py.protocol.track import Track
from lavalink_py.sessions.node import Node, TrackLoader
from lavalink_py.sources.routing.outbound import build_outbound

log = logging.getLogger(__name__)

# The Lavalink API level this node implements; our own version rides along as build metadata.
VERSION = f"{LAVALINK_API_VERSION}+lavalink-py.{__version__}"

METRICS = web.AppKey("metrics", NodeMetrics)
READINESS = web.AppKey("readiness", Readiness)
PROBE_PATHS = frozenset({"/v4/ready", "/v4/alive"})


def api_options(
    settings: Settings,
    plugins: tuple[tuple[str, str], ...] = (),
    decorate_track: Callable[[Track], Track] | None = None,
    **overrides: float | None,
) -> ApiOptions:
    """The API's options from the settings; `overrides` (tests, benchmarks) replace them, None keeps a setting's."""
    server = settings.lavalink.server
    prometheus = settings.metrics.prometheus
    auth = prometheus.auth
    return ApiOptions(
        password=server.password,
        version=VERSION,
        disabled_filters=server.filters.disabled(),
        player_update_interval_s=float(server.player_update_interval_s),
        public_paths=frozenset() if settings.health.probes.auth else PROBE_PATHS,
        metrics_path=prometheus.endpoint if prometheus.enabled and prometheus.port is None else None,
        metrics_auth=None if auth is None else (auth.username, auth.password),
        plugins=plugins,
        decorate_track=decorate_track,
        **{"ws_ping_interval_s": settings.metrics.websocket_ping_interval_s}
        | {name: value for name, value in overrides.items() if value is not None},
    )


def engine_settings(settings: Settings) -> EngineSettings:
    server = settings.lavalink.server
    overload = server.overload
    return EngineSettings(
        frame_buffer_ms=server.frame_buffer_duration_ms,
        opus_quality=server.opus_encoding_quality,
        resampling=ResamplingQuality(server.resampling_quality),
        stuck_threshold_ms=server.track_stuck_threshold_ms,
        share_live_streams=server.share_live_streams,
        overload=OverloadSettings(
            enabled=overload.enabled,
            levels=overload.complexity_levels,
            reduced_bitrate=overload.reduced_bitrate or None,
            reduced_bandwidth=None if overload.reduced_bandwidth == "off" else overload.reduced_bandwidth,
            low_watermark=overload.low_watermark,
            healthy_watermark=overload.healthy_watermark,
            behind_share=overload.behind_share,
            step_interval_ms=overload.step_interval_ms,
            recover_after_ms=overload.recover_after_ms,
            check_interval_ms=overload.check_interval_ms,
        ),
    )


async def audio_clock(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the node-wide frame clock runs for the application's lifetime."""
    engine = app[NODE].audio
    engine.start()
    yield
    await engine.close()


def metrics_config(settings: Settings) -> MetricsConfig:
    metrics = settings.metrics
    collectors = {
        name: CollectorConfig(enabled=chosen.enabled, collection_interval_s=chosen.collection_interval_s)
        for name, chosen in metrics.collectors.items()
    }
    return MetricsConfig(
        collectors=collectors,
        collection_timeout_s=metrics.collection_timeout_s,
        labels=dict(metrics.labels),
        # metrics.custom is loaded with the plugins (build_plugins), so a broken one stops start-up naming it.
    )


def build_app(
    settings: Settings,
    *,
    loader: TrackLoader | None = None,
    stats_interval_s: float = 60.0,
    ws_ping_interval_s: float | None = None,
) -> web.Application:
    counters = NodeCounters()
    # yt-dlp blocks for network round trips, not CPU: a few threads of its own keep it off the audio workers.
    resolver_pool = InstrumentedThreadPool("resolver", max_workers=4)
    outbound = build_outbound(settings.lavalink.server.ratelimit)
    # Every outbound request of the built-in sources and of plugins (`PluginContext.http`) goes through `outbound`,
    # the route planner. Mirror sources bump the node's fallback counters. PluginLoadError names a plugin that
    # cannot start.
    plugins = build_plugins(settings, resolver_pool, outbound=outbound, fallback=counters.fallback)
    loader = loader or PluginInfoLoader(plugins.sources, plugins.info_modifiers)
    # Counted for the metrics, and told to the plugins' on_player_event listeners.
    observer = observe_all(count_player_events(counters.player_events), plugins.events.observe)
    tracing = build_tracing(settings.otel, VERSION)  # None unless otel.enabled; then nothing of OpenTelemetry loads
    if tracing is not None:
        loader = tracing.wrap_loader(loader)
        observer = observe_all(observer, tracing.observe)
    reports = build_error_reports(settings.sentry, VERSION)  # None without sentry.dsn; then sentry_sdk never loads
    if reports is not None:
        observer = observe_all(observer, reports.observe)
    node = Node(
        loader,
        # The filter registry: the built-ins, then what plugins registered through their context.
        AudioEngine(engine_settings(settings), filters=plugins.filters),
        observer=observer,
        connect_voice=_voice_factory(settings.lavalink.server.voice_workers),
        on_session_end=lambda session: counters.player_events.observe_duration(
            "session", time.monotonic() - session.opened_at_s
        ),
    )
    plugins.events.sessions = node.sessions
    view = NodeView(node)
    readiness = Readiness()
    metrics = _node_metrics(
        settings, counters=counters, view=view, pool=resolver_pool, node=node, readiness=readiness, plugins=plugins
    )
    listed = tuple((p.name, p.version) for p in plugins.plugins if p.listed)
    modifiers = plugins.info_modifiers
    decorate = None if not modifiers else functools.partial(track_with_plugin_info, modifiers=modifiers)
    options = api_options(
        settings, listed, decorate, stats_interval_s=stats_interval_s, ws_ping_interval_s=ws_ping_interval_s
    )
    app = web.Application(
        # aiohttp's request handler logs requests it cannot parse through this: a count and a quiet line.
        handler_args={"logger": BadRequestLog(counters.http, AuthWarnings())},
        middlewares=[
            middleware.http_metrics,
            *([] if tracing is None else [tracing.middleware]),
            middleware.api_version_header,
            middleware.errors,
            middleware.authorization,
        ],
    )
    app[OPTIONS], app[NODE], app[COUNTERS], app[METRICS] = options, node, counters, metrics
    app[AUTH_WARNINGS] = AuthWarnings()
    app[ROUTE_PLANNER] = outbound
    app[READINESS] = readiness
    app[websocket.SOCKETS] = set()
    for table in (info.routes, tracks.routes, sessions.routes, routeplanner.routes, websocket.routes, openapi.routes):
        app.add_routes(table)
    _add_plugin_routes(app, plugins)
    _add_health_routes(app, settings, metrics, view, readiness)
    if options.metrics_path is not None:
        app.router.add_get(options.metrics_path, make_metrics_handler(metrics))
    app.cleanup_ctx.append(metrics.cleanup_ctx)
    app.cleanup_ctx.append(audio_clock)
    persistence.install(app, settings.persistence)
    app.cleanup_ctx.append(tickers.tickers)
    if reports is not None:
        app[ERROR_REPORTS] = reports
        app.cleanup_ctx.append(reports.cleanup_ctx)
    if tracing is not None:
        app[TRACING] = tracing
        # Appended last, so it is cleaned up first: after on_shutdown ended the players' spans, before the rest.
        app.cleanup_ctx.append(tracing.cleanup_ctx)
    app.on_startup.append(_mark_ready)
    app.on_shutdown.extend((_drain, persistence.final_checkpoint, websocket.close_all, _shutdown_sessions))
    app.on_cleanup.append(_unfreeze)
    app.on_cleanup.append(lambda _app: _plugin_cleanups(plugins))
    app.on_cleanup.append(lambda _app: _stop_pool(resolver_pool))
    return app


def _node_metrics(
    settings: Settings,
    *,
    counters: NodeCounters,
    view: NodeView,
    pool: InstrumentedThreadPool,
    node: Node,
    readiness: Readiness,
    plugins: Registrations,
) -> NodeMetrics:
    try:
        return NodeMetrics(
            metrics_config(settings),
            counters=counters,
            players=view,
            sessions=view,
            voice=view,
            thread_pools=[pool],
            frame_clock=node.audio.clock,
            audio=view,
            readiness=readiness,
            extra_collectors=plugins.collectors,
            busy=lambda: len(node.audio.clock) > 0,
        )
    except CollectorLoadError as exc:
        if not plugins.collectors:
            raise
        owners = ", ".join(f"{name!r} of {plugins.collector_owners[name]}" for name in plugins.collectors)
        raise PluginLoadError(f"{exc} (plugin and metrics.custom collectors: {owners})") from exc


def _add_health_routes(
    app: web.Application, settings: Settings, metrics: NodeMetrics, view: NodeView, readiness: Readiness
) -> None:
    """/v4/health, the status page (which shows the same health), /v4/ready and /v4/alive."""
    thresholds = settings.health.thresholds
    health_thresholds = HealthThresholds(
        memory_percent=thresholds.memory_percent,
        disk_percent=thresholds.disk_percent,
        event_loop_lag_ms=thresholds.event_loop_lag_ms,
        voice_failed_ratio=thresholds.voice_failed_ratio,
    )
    app.router.add_get("/v4/health", make_health_handler(metrics, health_thresholds, voice=view, sources=view))
    status_page.install(app, app[NODE], lambda: evaluate(gather_health_inputs(metrics, view, view), health_thresholds))
    app.router.add_get("/v4/ready", make_ready_handler(readiness))
    app.router.add_get("/v4/alive", make_alive_handler())


def _add_plugin_routes(app: web.Application, plugins: Registrations) -> None:
    for route in plugins.routes:
        try:
            plugin_routes.add_routes(app, route.plugin, route.method, route.path, route.handler)
        except ValueError as exc:
            raise PluginLoadError(str(exc)) from None


async def _plugin_cleanups(plugins: Registrations) -> None:
    for callback in reversed(plugins.cleanups):
        try:
            await callback()
        except Exception:
            log.exception("a plugin's cleanup raised")


async def _stop_pool(pool: Executor) -> None:
    pool.shutdown(wait=False, cancel_futures=True)


def build_metrics_port_app(main: web.Application, settings: Settings) -> web.Application:
    """metrics.prometheus.port: the Prometheus endpoint alone, on its own port, behind the same credentials."""
    options = main[OPTIONS]
    app = web.Application(
        handler_args={"logger": BadRequestLog(main[COUNTERS].http, AuthWarnings())},
        middlewares=[middleware.http_metrics, middleware.authorization],
    )
    app[OPTIONS] = ApiOptions(
        password=options.password,
        version=options.version,
        metrics_path=settings.metrics.prometheus.endpoint,
        metrics_auth=options.metrics_auth,
    )
    app[COUNTERS] = main[COUNTERS]
    app[AUTH_WARNINGS] = main[AUTH_WARNINGS]
    app.router.add_get(settings.metrics.prometheus.endpoint, make_metrics_handler(main[METRICS]))
    return app


async def _mark_ready(app: web.Application) -> None:
    # What start-up made (modules, classes, settings: ~65,000 objects) lives as long as the process: frozen out of
    # the cyclic GC, a full collection no longer walks it, which held the loop ~15-30 ms, a tick or two of every
    # player's audio (issue 11). An O(1) move; not collected first (start-up leaves little cyclic garbage, and a
    # full collection of a large process costs ~100 ms of start-up).
    gc.freeze()
    app[READINESS].mark_ready()


async def _unfreeze(_app: web.Application) -> None:
    # Collectable again: a process that builds apps one after another (the tests) would keep every earlier one's
    # reference cycles frozen for good.
    gc.unfreeze()


def _voice_factory(workers: int) -> WorkerVoice | None:
    """voiceWorkers > 0: voice connections in worker processes (voice/workers.py); else in this process."""
    return WorkerVoice(workers) if workers > 0 else None


async def _drain(app: web.Application) -> None:
    app[READINESS].mark_draining()


async def _shutdown_sessions(app: web.Application) -> None:
    app[NODE].sessions.shutdown()
    await app[NODE].tasks.drain()
    await app[NODE].close_voice()
    await app[NODE].loader.close()


async def serve(
    settings: Settings, *, drain_s: float = 2.0, on_listening: Callable[[], None] | None = None
) -> None:
    """Serve until SIGTERM/SIGINT; then report not ready for `drain_s` (load balancers stop sending), stop
    accepting, close players and client sockets (GOING_AWAY), and return. `on_listening` is called once every
    site listens (cli.main ends its start-up measures there)."""
    started = time.monotonic()
    app = build_app(settings)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    sites = [web.TCPSite(runner, settings.server.address, settings.server.port)]
    metrics_runner: web.AppRunner | None = None
    prometheus = settings.metrics.prometheus
    if prometheus.enabled and prometheus.port is not None:
        metrics_runner = web.AppRunner(build_metrics_port_app(app, settings), access_log=None)
        await metrics_runner.setup()
        sites.append(web.TCPSite(metrics_runner, settings.server.address, prometheus.port))
    for site in sites:
        await site.start()
    _collect_from_now_on()
    if on_listening is not None:
        on_listening()
    if metrics_runner is not None:
        log.info("metrics served on %s:%s", settings.server.address, metrics_runner.addresses[0][1])
    log.info(
        "lavalink_py %s listening on %s:%s (ready in %.0f ms)",
        VERSION,
        settings.server.address,
        runner.addresses[0][1],  # the bound port: server.port 0 lets the OS pick one (tests run in parallel)
        (time.monotonic() - started) * 1000,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down: draining for %.1f s", drain_s)
    app[READINESS].mark_draining()
    await asyncio.sleep(drain_s)
    if metrics_runner is not None:
        await metrics_runner.cleanup()
    await runner.cleanup()
    log.info("stopped")


def _collect_from_now_on() -> None:
    """The collector back on, once the node listens: `cli.main` paused it for start-up, and `_mark_ready` froze
    what start-up made, so no collection walks it."""
    gc.enable()


def run(settings: Settings, *, drain_s: float = 2.0, on_listening: Callable[[], None] | None = None) -> int:
    asyncio.run(serve(settings, drain_s=drain_s, on_listening=on_listening))
    return 0
