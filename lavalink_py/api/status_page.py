"""A live status page: `GET /status` serves one self-contained HTML page (no external assets, works offline);
after the operator enters the server password, the page reads `GET /v4/status/stream`, a server-sent event
stream (password required) that pushes a snapshot of the node every second: sessions, players (guild, track,
position, volume, filters, voice ping, frames sent, the frames missed by cause and the Opus complexity), sources,
health checks and recent errors. The causes (audio/frame_loss.py), per player and summed node-wide: source underrun,
encoder late (the transcoding workers fell behind), send late (the voice connection could not send), event-loop lag
(the frame clock skipped ticks) and GC pause; beside them the overload policy's complexity (audio/overload.py).
One stream per open page, O(players) per push: no polling storm. The page writes every value with
`textContent`, so nothing a client put in a title or userData can become markup.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

import orjson
from aiohttp import web

from lavalink_py.api.middleware import public
from lavalink_py.api.recent_errors import RecentErrors
from lavalink_py.metrics.health import HealthReport
from lavalink_py.protocol.filters import filters_json
from lavalink_py.sessions.node import Node

PUSH_INTERVAL_S = 1.0
_PAGE = resources.files("lavalink_py.api").joinpath("static/status.html")


def node_snapshot(node: Node, health: HealthReport, errors: RecentErrors, now_ms: int) -> dict[str, Any]:
    sessions = node.sessions.sessions()
    live = {session.id for session in node.sessions.live_sessions()}
    players = []
    send_late = 0
    for player in node.sessions.players():
        frames = player.frame_report()
        send_late += frames["lost"]["sendLate"]
        info = player.track.info if player.track is not None else None
        track = None
        if info is not None:
            track = {
                "title": info.title,
                "author": info.author,
                "uri": info.uri,
                "length": info.length_ms,
                "isStream": info.is_stream,
            }
        players.append(
            {
                "guildId": str(player.guild_id),
                "sessionId": player.session_id,
                "track": track,
                "position": player.position_ms,
                "paused": player.paused,
                "volume": player.volume,
                "filters": filters_json(player.filters),
                "connected": player.connected,
                "ping": player.ping_ms,
                "frames": frames,
            }
        )
    return {
        "time": now_ms,
        "sessions": [
            {"id": s.id, "players": len(s.players), "resuming": s.resuming, "connected": s.id in live}
            for s in sessions
        ],
        "players": players,
        "sources": node.loader.names(),
        "frameClock": {
            "sent": node.audio.clock.sent,
            "nulled": node.audio.clock.nulled,
            "lateTicks": node.audio.clock.late_ticks,
            "lostToLateTicks": node.audio.clock.lost,
            # Players gone since keep their counts in the engine's totals; sendLate lives in voice connections.
            "lost": node.audio.loss.totals.as_dict(send_late=send_late),
            "opusComplexity": node.audio.overload.dial.complexity,
            "overloadLevel": node.audio.overload.dial.level.describe(),
            "overloadSteps": node.audio.overload.policy.steps_down,
        },
        "health": health,
        "errors": errors.snapshot(),
    }


@public
async def status_page(_request: web.Request) -> web.StreamResponse:
    return web.Response(
        body=_PAGE.read_bytes(),
        content_type="text/html",
        charset="utf-8",
        # The page runs only its own inline script and talks only to this node.
        headers={
            "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline'; "
            "style-src 'unsafe-inline'; connect-src 'self'; img-src data:",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def make_stream_handler(
    node: Node, health: Callable[[], HealthReport], errors: RecentErrors, closing: asyncio.Event
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """`closing` is set at shutdown: open streams end at once instead of holding the server's shutdown."""

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        try:
            while not closing.is_set():
                snapshot = node_snapshot(node, health(), errors, int(time.time() * 1000))
                await response.write(b"data: " + orjson.dumps(snapshot) + b"\n\n")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing.wait(), PUSH_INTERVAL_S)
        except ConnectionResetError:
            pass  # the page went away
        return response

    return stream


def install(app: web.Application, node: Node, health: Callable[[], HealthReport]) -> None:
    """Routes, the recent-errors handler on the `lavalink_py` logger, and ending the streams at shutdown."""
    errors = RecentErrors()
    closing = asyncio.Event()
    app.router.add_get("/status", status_page)
    app.router.add_get("/v4/status/stream", make_stream_handler(node, health, errors, closing))

    async def keep_errors(_app: web.Application) -> AsyncIterator[None]:
        logger = logging.getLogger("lavalink_py")
        logger.addHandler(errors)
        yield
        logger.removeHandler(errors)

    async def end_streams(_app: web.Application) -> None:
        closing.set()

    app.cleanup_ctx.append(keep_errors)
    app.on_shutdown.append(end_streams)
