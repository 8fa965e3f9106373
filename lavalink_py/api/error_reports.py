"""Error reports to Sentry (`sentry.dsn`, `sentry.environment`, `sentry.tags`, as Lavalink names them).

With no DSN, `build_error_reports` returns None and sentry_sdk is never imported. With one:
- errors the node logs (level ERROR and above: a handler's unexpected exception rendered as a 500, a failing
  task, a source that cannot be opened) become Sentry events through the SDK's logging integration;
- every TrackExceptionEvent a player emits becomes an event tagged with its guild, session, track, source and
  severity, as a bot operator asks "which guild, which track?".
The log context (guild, session, track of the player whose line it is) is added to every event as tags.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from aiohttp import web

from lavalink_py.config.settings import SentrySettings


class ErrorReports(Protocol):
    def observe(self, message: dict[str, Any]) -> None:
        """A session message observer: reports TrackExceptionEvents."""

    def cleanup_ctx(self, app: web.Application) -> AsyncIterator[None]:
        """Flushes pending events and closes the client when the application stops."""
        ...


ERROR_REPORTS = web.AppKey("error_reports", ErrorReports)


def build_error_reports(settings: SentrySettings, release: str) -> ErrorReports | None:
    if not settings.dsn:
        return None
    # Imported only now, so a node without a DSN neither loads nor pays for the SDK.
    from lavalink_py.api.error_reports_sentry import SentryReports

    return SentryReports.create(settings, release)
