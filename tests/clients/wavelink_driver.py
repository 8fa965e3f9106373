"""wavelink (PyPI) as a `scenario.Driver`, joined the way a discord.py bot does: `channel.connect(cls=Player)`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import wavelink

from tests.clients.discord_stub import RecordingClient, stub_client
from tests.clients.discordpy_driver import DiscordPyDriver
from tests.clients.scenario import EVENT_TIMEOUT, GUILD
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, RunningNode


class WavelinkDriver(DiscordPyDriver[wavelink.Player]):
    def __init__(self, client: RecordingClient, node: wavelink.Node) -> None:
        super().__init__(client, wavelink.Player)
        self.node = node
        self.loaded: dict[str, wavelink.Playable] = {}

    async def load(self, identifier: str) -> tuple[str, str]:
        found = await wavelink.Playable.search(identifier)
        assert isinstance(found, list) and len(found) == 1, found
        self.loaded[found[0].encoded] = found[0]
        return found[0].encoded, found[0].title

    async def play(self, encoded: str) -> None:
        await self._player.play(self.loaded[encoded])

    async def wait_track_start(self) -> str:
        (payload,) = await self.client.wait_dispatched("wavelink_track_start", EVENT_TIMEOUT)
        return str(payload.track.title)

    async def wait_track_end(self, timeout: float) -> str:
        (payload,) = await self.client.wait_dispatched("wavelink_track_end", timeout)
        return str(payload.reason)

    async def set_timescale(self, speed: float) -> None:
        filters = self._player.filters
        filters.timescale.set(speed=speed)
        await self._player.set_filters(filters)

    async def remote_player(self) -> dict[str, Any]:
        return dict(await self.node._fetch_player(GUILD))

    async def remote_players(self) -> list[Any]:
        return list(await self.node._fetch_players())

    async def stats_uptime_ms(self) -> int | None:
        last = self.client.last_dispatched.get("wavelink_stats_update")
        return None if last is None else int(last[0].uptime)


@contextlib.asynccontextmanager
async def wavelink_driver(node: RunningNode, server: FakeVoiceServer) -> AsyncIterator[WavelinkDriver]:
    client = await stub_client(int(USER_ID), GUILD, server)
    async with aiohttp.ClientSession() as http:
        lavalink_node = wavelink.Node(uri=node.url, password=node.password, session=http, client=client, retries=1)
        try:
            await wavelink.Pool.connect(nodes=[lavalink_node], client=client)
            await client.wait_dispatched("wavelink_node_ready", EVENT_TIMEOUT)
            yield WavelinkDriver(client, lavalink_node)
        finally:
            # eject: wavelink's Pool is process-wide; the next test must not find this node in it.
            await lavalink_node.close(eject=True)
            await client.close()
            assert client.discord_http_calls == []
