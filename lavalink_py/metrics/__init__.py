"""Prometheus metrics, health checks and probes of a lavalink_py node.

How it fits (the app wires it; nothing here imports sessions, player or api):
    counters.py   plain counters the hot paths bump (NodeCounters: http, websocket, tracks, player_events,
                  frames, fallback)
    inputs.py     read-only Protocols the sessions implement (PlayerStatsSource, SessionStatsSource,
                  VoiceStatsSource, SourceStatusSource, ThreadPoolSource) and their snapshot dataclasses
    probes.py     LagMonitor, GcMonitor, InstrumentedThreadPool
    collectors/   one prometheus-client custom collector per area
    guard.py      per-collector isolation (raising, slow, stale) and lavalink_collector_* metrics
    refresher.py  off-loop snapshot refreshes of costly collectors
    registry.py   NodeMetrics: the CollectorRegistry and its background pieces (start/stop/cleanup_ctx)
    health.py     pure health evaluation, Readiness
    handlers.py   /metrics, /v4/health, /v4/ready, /v4/alive handlers; a small app for a metrics port

Exceptions:
    MetricsConfigError(ValueError)   a metrics setting is invalid (config.py)
    CollectorLoadError(Exception)    a configured custom collector cannot be imported, built or registered
                                     (loading.py)
"""
