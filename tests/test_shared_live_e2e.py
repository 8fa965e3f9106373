"""Players of one live radio share its decode and encode (shareLiveStreams), heard through the fake Discord voice
server: one connection to the radio for all, each player's own voice sends; one moving out (volume), one
destroyed, the others playing on, and the radio dying, each as its players see it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from tests.audio.media import write_media
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, NodeFactory, RunningNode, connect

CHANNEL = 222
GUILDS = (501, 502, 503)
LISTENER = 444


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


class Radio:
    """An endless MP3 (the sweep again and again), chunked with no length; counts its connections."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.connections = 0
        self.dead = asyncio.Event()  # set at the end: the endless responses stop

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.connections += 1
        if self.dead.is_set():
            raise web.HTTPServiceUnavailable()
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        while not self.dead.is_set():
            for i in range(0, len(self.data), 4096):
                await response.write(self.data[i : i + 4096])
                # Paced a little faster than it plays (128 kbit/s), as a station airs: were it written as fast as
                # the sockets take it, megabytes would wait in loopback buffers and a death be heard minutes late.
                await asyncio.sleep(0.9 * 4096 / 16_000)
                if self.dead.is_set():
                    break
        assert request.transport is not None
        request.transport.abort()  # the station goes off the air mid-stream
        return response


@contextlib.asynccontextmanager
async def serve(radio: Radio) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/radio.mp3", radio.handle)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/radio.mp3"
    finally:
        radio.dead.set()
        await runner.cleanup()


@pytest.fixture
async def shared_node(make_node: NodeFactory) -> RunningNode:
    return await make_node({"lavalink": {"server": {"shareLiveStreams": True}}})


def heard_rms(server: FakeVoiceServer) -> float:
    return float(np.sqrt(np.mean(server.listeners[LISTENER].pcm().astype(np.float64) ** 2)))


async def test_players_of_one_radio_share_it_and_leave_it_one_by_one(shared_node: RunningNode, tmp_path: Path) -> None:
    node = shared_node
    radio = Radio(write_media(tmp_path / "sweep.mp3", "libmp3lame", 44_100, 3.0).read_bytes())
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(serve(radio))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        servers = {
            guild: await stack.enter_async_context(
                FakeVoiceServer(guild_id=guild, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,))
            )
            for guild in GUILDS
        }
        socket, ready, _ = await connect(http, node)
        stack.push_async_callback(socket.close)
        base = f"{node.url}/v4/sessions/{ready['sessionId']}/players"

        async def patch(guild: int, body: dict[str, Any]) -> None:
            async with http.patch(f"{base}/{guild}", json=body, headers=node.auth) as response:
                assert response.status == 200, await response.text()

        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": url}, headers=node.auth) as response:
            loaded = (await response.json())["data"]
        assert loaded["info"]["isStream"]
        probed = radio.connections  # the load looked at the stream
        for guild in GUILDS:
            await patch(guild, {"voice": servers[guild].voice_state(), "track": {"encoded": loaded["encoded"]}})

        def frames(guild: int) -> int:
            return len(servers[guild].listeners[LISTENER].frames)

        async def grows(guild: int, by: int) -> None:
            start = frames(guild)
            await servers[guild].wait_for(lambda: frames(guild) >= start + by, 60.0)

        for guild in GUILDS:
            await grows(guild, 50)
        shares = node.node.audio.shares
        assert shares is not None
        assert len(shares) == 1
        assert radio.connections == probed + 1  # one decode and encode for the three
        for guild in GUILDS:
            assert heard_rms(servers[guild]) > 0.05  # each listener decoded the radio from its own voice session

        # One player's volume: it moves to its own stream; the others stay on theirs.
        await patch(GUILDS[2], {"volume": 50})
        await grows(GUILDS[2], 50)
        assert radio.connections == probed + 2
        for guild in GUILDS[:2]:
            await grows(guild, 25)

        # One player destroyed: the others play on.
        async with http.delete(f"{base}/{GUILDS[1]}", headers=node.auth) as response:
            assert response.status == 204
        end = await socket.next_matching(lambda m: m.get("type") == "TrackEndEvent")
        assert end["guildId"] == str(GUILDS[1]) and end["reason"] == "cleanup"
        await grows(GUILDS[0], 50)
        await grows(GUILDS[2], 25)
        assert radio.connections == probed + 2

        # The station dies (cut off mid-stream, then refusing the reconnect): each player still on it ends its own
        # track with the same events a lone player of it gets (the pipeline reads a cut-off radio as its end).
        radio.dead.set()
        seen: dict[str, list[str]] = {str(GUILDS[0]): [], str(GUILDS[2]): []}
        while not all(any(kind.startswith("TrackEndEvent") for kind in kinds) for kinds in seen.values()):
            event = await socket.next_matching(
                lambda m: m.get("type") in {"TrackExceptionEvent", "TrackEndEvent"}, 60.0
            )
            seen[event["guildId"]].append(f"{event['type']}:{event.get('reason', '')}")
        assert seen[str(GUILDS[0])] == seen[str(GUILDS[2])]
        assert seen[str(GUILDS[0])][-1] in {"TrackEndEvent:finished", "TrackEndEvent:loadFailed"}
