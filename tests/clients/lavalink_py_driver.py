"""lavalink.py (PyPI `lavalink`) as a `scenario.Driver`: a bot hands it discord.py's two voice dispatches itself."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import lavalink

from tests.clients.scenario import GUILD
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.lavalink_bot import Recorder
from tests.node import USER_ID, RunningNode


class LavalinkPyDriver:
    def __init__(self, client: lavalink.Client, node: Any, recorder: Recorder) -> None:
        self.client = client
        self.node = node
        self.recorder = recorder
        self.player: Any = None

    async def join(self, server: FakeVoiceServer) -> None:
        self.player = self.client.player_manager.create(GUILD)
        await self.player._voice_state_update(
            {"guild_id": str(GUILD), "channel_id": str(server.channel_id), "session_id": server.session_id}
        )
        await self.player._voice_server_update(
            {"guild_id": str(GUILD), "endpoint": server.endpoint, "token": server.token}
        )

    async def load(self, identifier: str) -> tuple[str, str]:
        result = await self.client.get_tracks(identifier)
        assert result.load_type == lavalink.LoadType.TRACK, result
        return result.tracks[0].track, result.tracks[0].title

    async def play(self, encoded: str) -> None:
        await self.player.play(await self.client.decode_track(encoded))

    async def wait_track_start(self) -> str:
        return str((await self.recorder.wait(lavalink.TrackStartEvent, 20)).track.title)

    async def wait_track_end(self, timeout: float) -> str:
        return str((await self.recorder.wait(lavalink.TrackEndEvent, timeout)).reason.value)

    async def pause(self, paused: bool) -> None:
        await self.player.set_pause(paused)

    async def set_volume(self, volume: int) -> None:
        await self.player.set_volume(volume)

    async def seek(self, position_ms: int) -> None:
        await self.player.seek(position_ms)

    async def set_timescale(self, speed: float) -> None:
        await self.player.set_filter(lavalink.Timescale(speed=speed))

    async def remote_player(self) -> dict[str, Any]:
        return dict(await self.node.get_player(GUILD))

    async def destroy(self) -> None:
        await self.client.player_manager.destroy(GUILD)

    async def remote_players(self) -> list[Any]:
        return list(await self.node.get_players())

    async def stats_uptime_ms(self) -> int | None:
        return None if self.node.stats.is_fake else int(self.node.stats.uptime)


@contextlib.asynccontextmanager
async def lavalink_py_driver(node: RunningNode, server: FakeVoiceServer) -> AsyncIterator[LavalinkPyDriver]:
    recorder = Recorder()
    client = lavalink.Client(int(USER_ID))
    client.add_event_hook(recorder.hook)
    lavalink_node = client.add_node("127.0.0.1", int(node.url.rsplit(":", 1)[1]), node.password, "eu", "lavalink_py")
    try:
        await recorder.wait(lavalink.NodeReadyEvent, 20)
        yield LavalinkPyDriver(client, lavalink_node, recorder)
    finally:
        await client.close()
