"""Wiring of sessions/persistence into the application: restore at start, checkpoint at the playerUpdate cadence,
and one exact checkpoint at shutdown, before the client sockets close."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from lavalink_py.api.keys import COUNTERS, NODE, OPTIONS
from lavalink_py.config.settings import PersistenceSettings
from lavalink_py.sessions.persistence.checkpointer import Checkpointer
from lavalink_py.sessions.persistence.restore import restore_sessions
from lavalink_py.sessions.persistence.store import SessionStore

log = logging.getLogger(__name__)

CHECKPOINTER = web.AppKey("checkpointer", Checkpointer)


def install(app: web.Application, settings: PersistenceSettings) -> None:
    """Call after the audio clock's cleanup_ctx is appended (restored players need the engine)."""
    if not settings.enabled:
        return
    store = SessionStore(settings.path)
    if store.path.exists():
        # Players will probably be restored: their decode/encode stack and voice driver import on the io pool from
        # now, while the app finishes building and the file is read, instead of after the restore made them.
        app[NODE].audio.warm()
    app[CHECKPOINTER] = Checkpointer(store, app[NODE].sessions, app[COUNTERS].persistence.observe_write)
    app.cleanup_ctx.append(_lifetime)


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    checkpointer = app[CHECKPOINTER]
    stats = app[COUNTERS].persistence
    started = time.perf_counter()
    # The one read, at start, before the server accepts connections; still off the loop (a large file, a slow disk).
    loaded = await asyncio.get_running_loop().run_in_executor(None, checkpointer.store.load)
    if loaded.set_aside is not None:
        stats.restore_failures.add(f"store_{loaded.set_aside}")
    report = restore_sessions(app[NODE].sessions, loaded.sessions, int(time.time() * 1000))
    stats.sessions_restored += report.sessions
    stats.players_restored += report.players
    for cause, n in report.failures.items():
        stats.restore_failures.add(cause, n)
    if loaded.sessions or loaded.set_aside:
        log.info(
            "persistence: restored %d sessions and %d players from %s in %.0f ms (%s)",
            report.sessions,
            report.players,
            checkpointer.store.path,
            (time.perf_counter() - started) * 1000,
            ", ".join(f"{n} {cause}" for cause, n in report.failures.items()) or "nothing dropped",
        )
    task = asyncio.create_task(_every(app[OPTIONS].player_update_interval_s, checkpointer), name="checkpoints")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await checkpointer.final()  # already done by on_shutdown unless the app never shut down cleanly


async def _every(interval_s: float, checkpointer: Checkpointer) -> None:
    loop = asyncio.get_running_loop()
    start, tick = loop.time(), 0
    while True:
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * interval_s - loop.time()))
        try:
            checkpointer.tick()
        except Exception:
            log.exception("checkpoint ticker failed")


async def final_checkpoint(app: web.Application) -> None:
    """on_shutdown, before the client sockets close and the players stop: every player at its exact position."""
    checkpointer = app.get(CHECKPOINTER)
    if checkpointer is not None:
        await checkpointer.final()
