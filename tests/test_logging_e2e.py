"""Issue 5's structured logs on the real node: with `logging.format: json`, every line a player writes during its
life (play through the fake Discord voice server, stop, play again, destroy) carries its guild, session and track."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from lavalink_py.config import configure_logging, settings_from_dict
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.node import USER_ID, LavalinkSocket, RunningNode, connect, wait_until
from tests.voice.audio import sweep

GUILD, CHANNEL, LISTENER = 111, 222, 444
TITLE = "Logged Sweep"
PLAYER_LOGGER = "lavalink_py.player"
SESSION_LOGGER = "lavalink_py.sessions.session"
VOICE_LOGGER = "lavalink_py.voice"


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """logging.format json at DEBUG for the node's loggers, into a buffer; the root logger is restored after."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    node_logger = logging.getLogger("lavalink_py")
    node_level = node_logger.level
    stream = io.StringIO()
    settings = settings_from_dict({"logging": {"format": "json", "level": {"lavalink_py": "DEBUG"}}}).settings
    configure_logging(settings.logging, stream=stream)
    try:
        yield stream
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        node_logger.setLevel(node_level)


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    mono = sweep(1.0)
    write_audio(tmp_path / "sweep.mp3", samples=np.stack([mono, mono]), rate=48000, title=TITLE)
    app = web.Application()
    app.router.add_static("/media", tmp_path)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/media"
    await runner.cleanup()


@dataclass
class Client:
    http: aiohttp.ClientSession
    node: RunningNode
    socket: LavalinkSocket
    session_id: str

    @property
    def player_url(self) -> str:
        return f"{self.node.url}/v4/sessions/{self.session_id}/players/{GUILD}"

    async def patch(self, body: dict[str, Any]) -> None:
        async with self.http.patch(self.player_url, json=body, headers=self.node.auth) as response:
            assert response.status == 200, await response.text()

    async def load(self, identifier: str) -> str:
        params = {"identifier": identifier}
        async with self.http.get(self.node.url + "/v4/loadtracks", params=params, headers=self.node.auth) as r:
            result = await r.json()
        assert result["loadType"] == "track", result
        encoded: str = result["data"]["encoded"]
        return encoded


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@dataclass
class PlayerLife:
    session_id: str
    lines: list[dict[str, Any]]

    def player_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["logger"].startswith(PLAYER_LOGGER)]

    def voice_lines(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["logger"].startswith(VOICE_LOGGER)]

    def session_lines_about_the_player(self) -> list[dict[str, Any]]:
        return [
            line
            for line in self.lines
            if line["logger"] == SESSION_LOGGER
            and (
                line["message"].startswith(("player created", "player destroyed"))
                or f"guild={GUILD} player" in line["message"]
            )
        ]


@pytest.fixture
async def player_life(
    node: RunningNode, http: aiohttp.ClientSession, media_url: str, json_logs: io.StringIO
) -> PlayerLife:
    """A player's whole life on the real node: voice + play, stop, play again, destroy."""
    socket, ready, _ = await connect(http, node)
    client = Client(http, node, socket, ready["sessionId"])
    track = await client.load(f"{media_url}/sweep.mp3")
    async with FakeVoiceServer(
        guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,)
    ) as server:
        voice = {
            "token": server.token,
            "endpoint": server.endpoint,
            "sessionId": server.session_id,
            "channelId": str(server.channel_id),
        }
        await client.patch({"voice": voice, "track": {"encoded": track}})
        await socket.event("TrackStartEvent")
        await server.wait_for(lambda: len(server.listeners[LISTENER].frames) >= 10, 10)
        # Discord's voice server crashes (4015): the connection's own task logs the close and resumes.
        await server.close_websocket(4015, "crashed")
        await wait_until(lambda: "voice closed" in json_logs.getvalue())
        await server.wait_for(lambda: server.ws_connected, 10)
        await client.patch({"track": {"encoded": None}})
        assert (await socket.event("TrackEndEvent"))["reason"] == "stopped"
        await client.patch({"track": {"encoded": track}})
        await socket.event("TrackStartEvent")
        async with http.delete(client.player_url, headers=node.auth) as response:
            assert response.status == 204
        assert (await socket.event("TrackEndEvent"))["reason"] == "cleanup"
    await socket.close()
    return PlayerLife(client.session_id, json_lines(json_logs))


async def test_every_player_line_carries_guild_track_and_a_session_field(player_life: PlayerLife) -> None:
    lines = player_life.player_lines()
    messages = [line["message"] for line in lines]
    assert sum(m.startswith("start track") for m in messages) == 2, messages
    assert sum(m.startswith("end track") for m in messages) == 2, messages
    assert any(m.startswith("connecting to voice server") for m in messages), messages
    assert "first frame" in messages
    for line in lines:
        assert line["guild_id"] == str(GUILD), line  # ids are strings in JSON logs, as in Lavalink's JSON
        assert "session_id" in line, line
        # A line written while no track is loaded (joining voice before playing) says so with null.
        expected = None if line["message"].startswith("connecting to voice") else TITLE
        assert line["track"] == expected, line


async def test_the_voice_connections_lines_carry_the_guild(player_life: PlayerLife) -> None:
    lines = player_life.voice_lines()
    assert any(line["message"].startswith("voice closed") for line in lines), lines
    assert [line for line in lines if line.get("guild_id") != str(GUILD)] == []


async def test_the_players_lines_carry_its_session_id(player_life: PlayerLife) -> None:
    lines = player_life.player_lines() + player_life.voice_lines() + player_life.session_lines_about_the_player()
    assert len(lines) >= 8
    assert [line for line in lines if line.get("session_id") != player_life.session_id] == []
    assert [line for line in lines if line.get("guild_id") != str(GUILD)] == []


async def test_session_and_player_life_lines_carry_their_fields(player_life: PlayerLife) -> None:
    session_lines = [line for line in player_life.lines if line["logger"].startswith("lavalink_py.sessions")]
    opened = [line for line in session_lines if line["message"].startswith("session opened")]
    assert opened and opened[0]["session_id"] == player_life.session_id
    created = [line for line in session_lines if line["message"] == "player created"]
    destroyed = [line for line in session_lines if line["message"] == "player destroyed"]
    assert created and created[0]["track"] is None  # a new player has no track yet
    assert destroyed and "track" in destroyed[0]
