"""Players connect to the voice server their voice state names: the fake Discord voice server, over TLS that the
node's process trusts through SSL_CERT_FILE, exactly as it would connect to Discord."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.api.test_players import TRACK_C
from tests.fakes.discord_voice.pki import voice_pki
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, LavalinkSocket, RunningNode, connect, wait_until

GUILD = 111
CHANNEL = 222


@pytest.fixture(autouse=True)
def trust_test_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca_file = tmp_path / "test-ca.pem"
    ca_file.write_text(voice_pki().ca_pem)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))


def fake_server(**fields: Any) -> FakeVoiceServer:
    return FakeVoiceServer(guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), **fields)


@pytest.fixture
async def voice_server() -> AsyncIterator[FakeVoiceServer]:
    async with fake_server() as server:
        yield server


def voice_of(server: FakeVoiceServer) -> dict[str, str]:
    return {
        "token": server.token,
        "endpoint": server.endpoint,
        "sessionId": server.session_id,
        "channelId": str(server.channel_id),
    }


async def patch(http: aiohttp.ClientSession, node: RunningNode, session_id: str, body: Any) -> dict[str, Any]:
    url = f"{node.url}/v4/sessions/{session_id}/players/{GUILD}"
    async with http.patch(url, json=body, headers=node.auth) as response:
        assert response.status == 200, await response.text()
        result: dict[str, Any] = await response.json()
        return result


async def player_state(http: aiohttp.ClientSession, node: RunningNode, session_id: str) -> dict[str, Any]:
    async with http.get(f"{node.url}/v4/sessions/{session_id}/players/{GUILD}", headers=node.auth) as response:
        state: dict[str, Any] = (await response.json())["state"]
        return state


async def connected_player(
    http: aiohttp.ClientSession, node: RunningNode, server: FakeVoiceServer
) -> tuple[LavalinkSocket, str]:
    socket, ready, _ = await connect(http, node)
    session_id = ready["sessionId"]
    await patch(http, node, session_id, {"voice": voice_of(server)})
    # 30 s: with voice workers the first connection waits for a worker process to start (imports, seconds when
    # the machine is busy).
    update = await socket.next_matching(lambda m: m["op"] == "playerUpdate" and m["state"]["connected"], 30)
    assert update["guildId"] == str(GUILD)
    return socket, session_id


async def test_voice_state_connects_the_player(
    node: RunningNode, http: aiohttp.ClientSession, voice_server: FakeVoiceServer
) -> None:
    socket, session_id = await connected_player(http, node, voice_server)
    assert voice_server.identifies == 1
    assert voice_server.selected_mode == "aead_aes256_gcm_rtpsize"
    await wait_until(lambda: voice_server.heartbeats > 0)
    state = await player_state(http, node, session_id)
    assert state["connected"] is True
    await socket.close()


async def test_non_resumable_close_reaches_the_client(
    node: RunningNode, http: aiohttp.ClientSession, voice_server: FakeVoiceServer
) -> None:
    socket, session_id = await connected_player(http, node, voice_server)
    await voice_server.close_websocket(4014, "Disconnected")
    closed = await socket.event("WebSocketClosedEvent", 10)
    assert (closed["code"], closed["reason"], closed["byRemote"]) == (4014, "Disconnected", True)
    update = await socket.next_matching(lambda m: m["op"] == "playerUpdate", 10)
    assert update["state"]["connected"] is False
    assert update["state"]["ping"] == -1
    # The same voice state again connects anew: the old connection gave up (Lavalink reconnects then too).
    await patch(http, node, session_id, {"voice": voice_of(voice_server)})
    await socket.next_matching(lambda m: m["op"] == "playerUpdate" and m["state"]["connected"], 30)
    assert voice_server.identifies == 2
    await socket.close()


async def test_server_move_keeps_the_track(
    node: RunningNode, http: aiohttp.ClientSession, voice_server: FakeVoiceServer
) -> None:
    socket, session_id = await connected_player(http, node, voice_server)
    player = await patch(http, node, session_id, {"encodedTrack": TRACK_C, "position": 4000, "paused": True})
    async with fake_server(token="moved-token") as moved:
        player = await patch(http, node, session_id, {"voice": voice_of(moved)})
        await moved.wait_for(lambda: moved.selected_mode is not None)
        await wait_until(lambda: not voice_server.ws_connected)
        assert moved.identifies == 1
        # Connected follows the session description, which comes after the mode the fake saw (and with voice
        # workers it crosses a process boundary): waited for, bounded, not assumed.
        async with asyncio.timeout(30):
            while not (await player_state(http, node, session_id))["connected"]:
                await asyncio.sleep(0.02)
        assert player["track"]["encoded"] == TRACK_C
        assert player["state"]["position"] == 4000
        assert player["voice"]["token"] == "moved-token"
        async with http.delete(f"{node.url}/v4/sessions/{session_id}/players/{GUILD}", headers=node.auth):
            pass
        await wait_until(lambda: not moved.ws_connected)
    await socket.close()


async def test_destroying_the_player_closes_its_voice_connection(
    node: RunningNode, http: aiohttp.ClientSession, voice_server: FakeVoiceServer
) -> None:
    socket, session_id = await connected_player(http, node, voice_server)
    async with http.delete(f"{node.url}/v4/sessions/{session_id}/players/{GUILD}", headers=node.auth) as response:
        assert response.status == 204
    await wait_until(lambda: not voice_server.ws_connected)
    await socket.close()
