"""REST traffic, from the HttpStats the API middleware bumps once per request."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counts_family, histograms_family
from lavalink_py.metrics.counters import HttpStats


class HttpCollector:
    name = "http"

    def __init__(self, stats: HttpStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[Metric]:
        s = self._stats
        yield counts_family(
            "lavalink_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "endpoint", "status"],
            s.requests.items(),
        )
        yield counts_family(
            "lavalink_http_errors",
            "HTTP requests answered with a status of 400 or more.",
            ["method", "endpoint", "status"],
            s.errors.items(),
        )
        yield counts_family(
            "lavalink_auth_failures",
            "Requests refused for missing or wrong credentials (REST, WebSocket handshake, /metrics), by route "
            "template and reason (missing, wrong).",
            ["endpoint", "reason"],
            s.auth_failures.items(),
        )
        yield counts_family(
            "lavalink_http_bad_requests",
            "Requests that could not be parsed as HTTP, answered 400 before any route, by reason (method, "
            "request_line, line_too_long, header, url, body, message).",
            ["reason"],
            s.bad_requests.items(),
        )
        yield histograms_family(
            "lavalink_http_request_duration_seconds",
            "Time from receiving a request to its response being prepared.",
            ["method", "endpoint"],
            s.durations.items(),
        )
        yield histograms_family(
            "lavalink_http_response_size_bytes",
            "Size of HTTP response bodies.",
            ["method", "endpoint"],
            s.sizes.items(),
        )

    def describe(self) -> Iterable[Metric]:
        return self.collect()
