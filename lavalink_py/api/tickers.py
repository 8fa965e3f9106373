"""The periodic messages: `stats` to every session each minute, `playerUpdate` for players with a track."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from lavalink_py.api.keys import NODE, OPTIONS
from lavalink_py.audio.clock import FrameClock
from lavalink_py.protocol.messages import stats_message
from lavalink_py.sessions.node import Node

log = logging.getLogger(__name__)


def send_stats(node: Node) -> None:
    stats = node.stats()
    # Paused sessions get them too: Lavalink queues them for the resume.
    for session, frames in node.frame_stats_round():
        session.send(stats_message(stats, frames))


def send_player_updates(node: Node) -> None:
    now = int(time.time() * 1000)
    for session in node.sessions.live_sessions():
        for player in session.players.values():
            if player.track is not None:
                player.send_update(now)


async def _every(interval_s: float, action: Callable[[], None], name: str, clock: FrameClock) -> None:
    # Scheduled against a fixed start so the period does not drift with the work done each time.
    loop = asyncio.get_running_loop()
    start = loop.time()
    tick = 0

    def run() -> None:
        try:
            action()
        except Exception:
            log.exception("%s ticker failed", name)

    while True:
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * interval_s - loop.time()))
        # Right after the frame clock's next tick: a few ms of building messages for every player, which must not
        # land on a tick's due time and hold every player's send (issue 11).
        clock.after_tick(run)


async def tickers(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: run both tickers for the application's lifetime."""
    node, options = app[NODE], app[OPTIONS]
    clock = node.audio.clock
    tasks = [
        asyncio.create_task(_every(options.stats_interval_s, lambda: send_stats(node), "stats", clock)),
        asyncio.create_task(
            _every(options.player_update_interval_s, lambda: send_player_updates(node), "playerUpdate", clock)
        ),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
