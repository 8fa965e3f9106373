"""Wiring a real VoiceConnection to a real FakeVoiceServer for tests and the benchmark."""

from __future__ import annotations

import itertools

from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.events import VoiceEvent
from tests.fakes.discord_voice.server import FakeVoiceServer


def connect_to(
    server: FakeVoiceServer, events: list[VoiceEvent], max_dave: int = 1, endpoint: str = ""
) -> VoiceConnection:
    return VoiceConnection(
        guild_id=server.guild_id,
        user_id=server.node_user_id,
        channel_id=server.channel_id,
        session_id=server.session_id,
        token=server.token,
        endpoint=endpoint or server.endpoint,
        on_event=events.append,
        ssl_context=server.client_ssl_context(),
        max_dave_protocol_version=max_dave,
    )


def timestamps_step(timestamps: list[int]) -> set[int]:
    return {(b - a) % (1 << 32) for a, b in itertools.pairwise(timestamps)}
