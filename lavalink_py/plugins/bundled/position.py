"""Waiting for a playing track to reach a position: what lavaplayer's track markers give the JVM plugins, done here
by reading the player's position every `poll_s` through the plugin API."""

from __future__ import annotations

import asyncio

from lavalink_py.plugins.api import PluginContext


async def reach(context: PluginContext, session_id: str, guild_id: int, encoded: str, *, at_ms: int,
                poll_s: float) -> int | None:
    """Wait until the player's position reaches `at_ms`; the position then, or None once the player no longer
    plays the track `encoded` (ended, replaced, destroyed)."""
    while True:
        player = context.player(session_id, guild_id)
        if player is None or player.track is None or player.track.encoded != encoded:
            return None
        if player.position_ms >= at_ms:
            return player.position_ms
        await asyncio.sleep(poll_s)
