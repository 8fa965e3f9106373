"""mafic (PyPI) as a `scenario.Driver`, on discord.py (mafic also runs on nextcord, disnake and py-cord; it refuses
to import when more than one is installed, and wavelink needs discord.py)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import mafic

from tests.clients.discord_stub import RecordingClient, stub_client
from tests.clients.discordpy_driver import DiscordPyDriver
from tests.clients.scenario import EVENT_TIMEOUT, GUILD
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, RunningNode


class MaficDriver(DiscordPyDriver[mafic.Player[RecordingClient]]):
    def __init__(self, client: RecordingClient, node: mafic.Node[RecordingClient], password: str) -> None:
        super().__init__(client, mafic.Player)
        self.password = password
        self.node = node
        self.loaded: dict[str, mafic.Track] = {}

    async def load(self, identifier: str) -> tuple[str, str]:
        found = await self.node.fetch_tracks(identifier, search_type=mafic.SearchType.YOUTUBE.value)
        assert isinstance(found, list) and len(found) == 1, found
        self.loaded[found[0].id] = found[0]  # mafic's Track.id is Lavalink's `encoded`
        return found[0].id, found[0].title

    async def play(self, encoded: str) -> None:
        await self._player.play(self.loaded[encoded])

    async def wait_track_start(self) -> str:
        (event,) = await self.client.wait_dispatched("track_start", EVENT_TIMEOUT)
        return str(event.track.title)

    async def wait_track_end(self, timeout: float) -> str:
        (event,) = await self.client.wait_dispatched("track_end", timeout)
        return str(event.reason.value)

    async def set_timescale(self, speed: float) -> None:
        await self._player.add_filter(mafic.Filter(timescale=mafic.Timescale(speed=speed)), label="speed")

    async def remote_player(self) -> dict[str, Any]:
        return dict(await self.node.fetch_player(GUILD))

    async def stats_uptime_ms(self) -> int | None:
        stats = self.node.stats
        return None if stats is None else int(stats.uptime.total_seconds() * 1000)

    async def remote_players(self) -> list[Any]:
        # mafic has no call for the node's player list; its own REST helper is private, so ask the node as mafic does.
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://{self.node.host}:{self.node.port}/v4/sessions/{self.node.session_id}/players",
                headers={"Authorization": self.password},
            ) as response,
        ):
            assert response.status == 200
            return list(await response.json())


@contextlib.asynccontextmanager
async def mafic_driver(node: RunningNode, server: FakeVoiceServer) -> AsyncIterator[MaficDriver]:
    client = await stub_client(int(USER_ID), GUILD, server)
    pool: mafic.NodePool[RecordingClient] = mafic.NodePool(client)
    host, port = node.url.removeprefix("http://").rsplit(":", 1)
    async with aiohttp.ClientSession() as http:
        with warnings.catch_warnings():
            # mafic 2.11 warns on any Lavalink 4.x newer than 4.0 (it reads /version's minor: ours is 4.2, as
            # Lavalink 4.2's is); the warning says nothing about this node.
            warnings.simplefilter("ignore", mafic.UnsupportedVersionWarning)
            lavalink_node = await pool.create_node(
                host=host,
                port=int(port),
                label="lavalink_py",
                password=node.password,
                session=http,
                timeout=EVENT_TIMEOUT,
            )
        try:
            yield MaficDriver(client, lavalink_node, node.password)
        finally:
            # mafic's NodePool is process-wide; the next test must not find this node in it.
            await pool.remove_node(lavalink_node, transfer_players=False)
            await client.close()
            assert client.discord_http_calls == []
