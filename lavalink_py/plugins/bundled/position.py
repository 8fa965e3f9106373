"""Waiting for a playing track to reach a position: what lavaplayer's track markers give the JVM plugins, done here
from the position the player already keeps, read through the plugin API.

Rather than reading it every `poll_s` all along (1200 reads for a mark a minute away at 50 ms), each wait is half
the time the position needs to get there at the pace it was last seen moving (so a timescale speed-up or a pause
is followed), at least `poll_s` (the accuracy near the mark, as before) and at most `max_wait_s` (how late a
client's seek towards the mark can be noticed): about 70 reads for that minute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from lavalink_py.plugins.api import PluginContext

MAX_WAIT_S = 1.0


def next_wait(remaining_ms: int, pace: float, *, poll_s: float, max_wait_s: float) -> float:
    """Seconds to wait before looking again: half the time to the mark at `pace` (track ms per wall ms, taken as
    at least 1 so a paused or just-started player is looked at soon), within [poll_s, max_wait_s]."""
    return min(max_wait_s, max(poll_s, remaining_ms / 1000 / max(pace, 1.0) / 2))


async def reach(context: PluginContext, session_id: str, guild_id: int, encoded: str, *, at_ms: int,
                poll_s: float, max_wait_s: float = MAX_WAIT_S, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> int | None:
    """Wait until the player's position reaches `at_ms`; the position then, or None once the player no longer
    plays the track `encoded` (ended, replaced, destroyed)."""
    seen: tuple[float, int] | None = None  # (when, position) of the last look
    while True:
        player = context.player(session_id, guild_id)
        if player is None or player.track is None or player.track.encoded != encoded:
            return None
        now, position = clock(), player.position_ms
        if position >= at_ms:
            return position
        pace = 1.0
        if seen is not None and now > seen[0] and position >= seen[1]:
            pace = (position - seen[1]) / ((now - seen[0]) * 1000)
        seen = (now, position)
        await sleep(next_wait(at_ms - position, pace, poll_s=poll_s, max_wait_s=max_wait_s))
