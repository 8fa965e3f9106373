"""The sentry_sdk side of `error_reports.py`; imported only when `sentry.dsn` is set."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal

import sentry_sdk
from aiohttp import web
from sentry_sdk.integrations.aiohttp import AioHttpIntegration
from sentry_sdk.integrations.logging import LoggingIntegration

from lavalink_py.config.logs import current_log_context
from lavalink_py.config.settings import SentrySettings

if TYPE_CHECKING:
    from sentry_sdk.types import Event

log = logging.getLogger(__name__)
FLUSH_TIMEOUT_S = 5.0


def _with_log_context(event: Event, _hint: dict[str, Any]) -> Event:
    """Tags each event with the player's guild, session and track when it happens inside a player's context."""
    tags = event.setdefault("tags", {})
    for key, value in current_log_context().items():
        if value is not None:
            tags.setdefault(key, str(value))
    return event


class SentryReports:

    @classmethod
    def create(cls, settings: SentrySettings, release: str) -> SentryReports:
        sentry_sdk.init(
            dsn=settings.dsn,
            environment=settings.environment or None,
            release=release,
            integrations=[AioHttpIntegration(), LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
            before_send=_with_log_context,
            traces_sample_rate=None,
        )
        for key, value in settings.tags.items():
            sentry_sdk.set_tag(key, value)
        log.info("error reports go to Sentry (environment %s)", settings.environment or "unset")
        return cls()

    def observe(self, message: dict[str, Any]) -> None:
        if message.get("op") != "event" or message.get("type") != "TrackExceptionEvent":
            return
        track = message.get("track") or {}
        info = track.get("info") or {}
        exception = message.get("exception") or {}
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("guild_id", str(message.get("guildId", "")))
            scope.set_tag("track", str(info.get("title", "")))
            scope.set_tag("source", str(info.get("sourceName", "")))
            scope.set_tag("severity", str(exception.get("severity", "")))
            scope.set_context("track", {"uri": info.get("uri"), "identifier": info.get("identifier")})
            scope.set_context("exception", {"message": exception.get("message"), "cause": exception.get("cause")})
            level: Literal["warning", "error"] = "warning" if exception.get("severity") == "common" else "error"
            sentry_sdk.capture_message(f"TrackExceptionEvent: {exception.get('message')}", level=level)

    async def cleanup_ctx(self, _app: web.Application) -> AsyncIterator[None]:
        yield
        client = sentry_sdk.get_client()
        await asyncio.to_thread(client.flush, FLUSH_TIMEOUT_S)
        client.close()
        # Unbound: the SDK's integrations patch logging and aiohttp for the whole process, and with no client
        # they do nothing.
        sentry_sdk.get_global_scope().set_client(None)
