"""A real `discord.Client` with its gateway replaced: what wavelink and mafic need of discord.py, and nothing online.

The client never logs in. Its user and one guild with one voice channel are put into discord.py's own state cache,
and `client.ws` is a stand-in gateway socket whose `voice_state` (op 4, what `VoiceChannel.connect` ends in)
answers the way Discord does: VOICE_STATE_UPDATE, then VOICE_SERVER_UPDATE naming the fake voice server, fed to
discord.py's own parsers so they reach the library's `VoiceProtocol`. Every dispatched event is queued for the
test. discord.py's HTTP client is never started (no `login`), so nothing can reach Discord.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import discord

from tests.fakes.discord_voice.server import FakeVoiceServer


@dataclass
class Dispatched:
    name: str
    args: tuple[Any, ...]


class RecordingClient(discord.Client):
    """discord.Client whose `dispatch` also queues every event (wavelink and mafic report through it)."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default())
        self.dispatched: asyncio.Queue[Dispatched] = asyncio.Queue()
        self.last_dispatched: dict[str, tuple[Any, ...]] = {}
        self.discord_http_calls: list[str] = []
        self.gateway_payloads: list[dict[str, Any]] = []
        # Nothing may reach Discord: every REST call discord.py would make is refused and recorded instead.
        self.http.request = self._refuse_http  # type: ignore[method-assign]

    async def _refuse_http(self, route: Any, **_: Any) -> Any:
        self.discord_http_calls.append(f"{route.method} {route.url}")
        raise AssertionError(f"discord.py tried to reach Discord: {route.method} {route.url}")

    def dispatch(self, event: str, /, *args: Any, **kwargs: Any) -> None:
        self.dispatched.put_nowait(Dispatched(event, args))
        self.last_dispatched[event] = args
        super().dispatch(event, *args, **kwargs)

    async def wait_dispatched(self, name: str, timeout: float = 10.0) -> tuple[Any, ...]:
        async def find() -> tuple[Any, ...]:
            while True:
                event = await self.dispatched.get()
                if event.name == name:
                    return event.args

        return await asyncio.wait_for(find(), timeout)


class FakeGatewaySocket:
    """Stands in for discord.py's `DiscordWebSocket`; only the voice-state call a voice connection makes."""

    def __init__(self, client: RecordingClient, user_id: int, server: FakeVoiceServer) -> None:
        self.client = client
        self.user_id = user_id
        self.server = server
        self.shard_id: int | None = None
        self.open = False  # `Client.close` closes an open gateway; this one has no connection to close

    async def voice_state(
        self, guild_id: int, channel_id: int | None, self_mute: bool = False, self_deaf: bool = False
    ) -> None:
        self.client.gateway_payloads.append(
            {
                "op": 4,
                "d": {"guild_id": guild_id, "channel_id": channel_id, "self_mute": self_mute, "self_deaf": self_deaf},
            }
        )
        asyncio.get_running_loop().call_soon(self._answer, guild_id, channel_id, self_mute, self_deaf)

    def _answer(self, guild_id: int, channel_id: int | None, self_mute: bool, self_deaf: bool) -> None:
        state = self.client._connection
        voice_state: dict[str, Any] = {
            "guild_id": str(guild_id),
            "channel_id": None if channel_id is None else str(channel_id),
            "user_id": str(self.user_id),
            "session_id": self.server.session_id,
            "deaf": False,
            "mute": False,
            "self_deaf": self_deaf,
            "self_mute": self_mute,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        # discord.py's payload TypedDicts say what Discord sends; these dicts are that, built by hand.
        state.parse_voice_state_update(cast(Any, voice_state))
        if channel_id is not None:
            state.parse_voice_server_update(
                {"guild_id": str(guild_id), "token": self.server.token, "endpoint": self.server.endpoint}
            )

    def is_ratelimited(self) -> bool:
        return False


async def stub_client(user_id: int, guild_id: int, server: FakeVoiceServer) -> RecordingClient:
    """A logged-out client that knows itself, the guild and the fake server's channel, with the fake gateway,
    and is "ready" (`wait_until_ready` returns, as mafic needs) without ever having connected."""
    client = RecordingClient()
    await client._async_setup_hook()  # what `login` would do first: the loop and the ready event
    state = client._connection
    user = {"id": str(user_id), "username": "lavalink-py-tests", "discriminator": "0", "avatar": None, "bot": True}
    state.user = discord.ClientUser(state=state, data=cast(Any, user))
    guild: dict[str, Any] = {
        "id": str(guild_id),
        "name": "tests",
        "owner_id": str(user_id),
        "roles": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "members": [],
        "voice_states": [],
        "member_count": 1,
        "channels": [
            {
                "id": str(server.channel_id),
                "type": 2,
                "name": "voice",
                "position": 0,
                "guild_id": str(guild_id),
                "permission_overwrites": [],
                "bitrate": 64000,
                "user_limit": 0,
                "rtc_region": None,
                "nsfw": False,
                "parent_id": None,
            }
        ],
    }
    state._add_guild_from_data(cast(Any, guild))
    client.ws = FakeGatewaySocket(client, user_id, server)  # type: ignore[assignment]
    # What discord.py does once READY and the guilds are in: the ready handler, then the `ready` event.
    state.call_handlers("ready")
    client.dispatch("ready")
    return client


def voice_channel(client: discord.Client, channel_id: int) -> discord.VoiceChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.VoiceChannel), channel
    return channel
