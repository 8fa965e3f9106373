"""What the wavelink and mafic drivers share: both libraries are discord.py `VoiceProtocol`s, joined with
`channel.connect(cls=...)`, whose players pause, set volume, seek and disconnect through the same calls."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

import discord

from tests.clients.discord_stub import RecordingClient, voice_channel
from tests.clients.scenario import EVENT_TIMEOUT
from tests.fakes.discord_voice.server import FakeVoiceServer


class _Player(Protocol):
    async def pause(self, value: bool, /) -> None: ...
    async def set_volume(self, value: int, /) -> None: ...
    async def seek(self, position: int, /) -> None: ...
    async def disconnect(self, *, force: bool = ...) -> None: ...


PlayerT = TypeVar("PlayerT", bound=_Player)


class DiscordPyDriver(Generic[PlayerT]):
    def __init__(self, client: RecordingClient, player_cls: type[PlayerT]) -> None:
        self.client = client
        self._player_cls = player_cls
        self.player: PlayerT | None = None

    @property
    def _player(self) -> PlayerT:
        assert self.player is not None
        return self.player

    async def join(self, server: FakeVoiceServer) -> None:
        channel = voice_channel(self.client, server.channel_id)
        cls: type[discord.VoiceProtocol] = self._player_cls  # type: ignore[assignment]
        self.player = await channel.connect(cls=cls, timeout=EVENT_TIMEOUT)  # type: ignore[assignment]

    async def pause(self, paused: bool) -> None:
        await self._player.pause(paused)

    async def set_volume(self, volume: int) -> None:
        await self._player.set_volume(volume)

    async def seek(self, position_ms: int) -> None:
        await self._player.seek(position_ms)

    async def destroy(self) -> None:
        await self._player.disconnect()
        # Leaving is op 4 with no channel, as discord.py sends it.
        assert self.client.gateway_payloads[-1]["d"]["channel_id"] is None
