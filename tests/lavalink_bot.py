"""A bot made of lavalink.py (the PyPI client library) for end-to-end tests: connected to a test node, and, with
`bot_in_voice`, joined to a fake Discord voice server with a player for its guild — the set-up most end-to-end
tests share before they play something and listen."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import lavalink

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, RunningNode


class Recorder:
    """Collects lavalink.py's events and lets a test wait for one of a kind."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[Any] = asyncio.Queue()

    async def hook(self, event: Any) -> None:
        self.events.put_nowait(event)

    async def wait(self, kind: type, timeout: float = 30.0, **attrs: Any) -> Any:
        async def find() -> Any:
            while True:
                event = await self.events.get()
                if isinstance(event, kind) and all(getattr(event, k) == v for k, v in attrs.items()):
                    return event

        return await asyncio.wait_for(find(), timeout)


async def join(player: Any, server: FakeVoiceServer) -> None:
    """What discord.py hands lavalink.py after the bot joins the channel: the two gateway events."""
    guild = str(player.guild_id)
    await player._voice_state_update(
        {"guild_id": guild, "channel_id": str(server.channel_id), "session_id": server.session_id}
    )
    await player._voice_server_update({"guild_id": guild, "endpoint": server.endpoint, "token": server.token})


@dataclass
class Bot:
    client: lavalink.Client[Any]
    node: Any  # lavalink.Node: the node as the library sees it (get_player, ...)
    events: Recorder


@dataclass
class VoiceBot(Bot):
    server: FakeVoiceServer
    player: Any  # lavalink.DefaultPlayer for the guild, joined to `server`


@contextlib.asynccontextmanager
async def lavalink_bot(node: RunningNode, label: str = "lavalink_py") -> AsyncIterator[Bot]:
    """lavalink.py connected to `node` (its NodeReadyEvent seen); closed on exit."""
    events = Recorder()
    client: lavalink.Client[Any] = lavalink.Client(int(USER_ID))
    client.add_event_hook(events.hook)
    lavalink_node = client.add_node("127.0.0.1", int(node.url.rsplit(":", 1)[1]), node.password, "eu", label)
    try:
        await events.wait(lavalink.NodeReadyEvent)
        yield Bot(client, lavalink_node, events)
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def bot_in_voice(
    node: RunningNode, guild: int, label: str = "lavalink_py", **server: Any
) -> AsyncIterator[VoiceBot]:
    """`lavalink_bot`, plus a fake Discord voice server for `guild` (`server` are its keyword arguments: channel_id,
    listener_ids, modes, ...) and a player joined to it."""
    async with lavalink_bot(node, label) as bot, FakeVoiceServer(
        guild_id=guild, node_user_id=int(USER_ID), **server
    ) as voice:
        player = bot.client.player_manager.create(guild)
        await join(player, voice)
        yield VoiceBot(bot.client, bot.node, bot.events, voice, player)
