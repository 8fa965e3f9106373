"""A source that fails ends in Lavalink's events; the player stays usable and the node keeps serving."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import numpy as np
import pytest

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.protocol.track_codec import encode_track
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import serve_directory, write_audio
from tests.node import USER_ID, RunningNode, connect
from tests.voice.audio import sweep

GUILD = 111


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    mono = sweep(1.0)
    write_audio(tmp_path / "ok.mp3", samples=np.stack([mono, mono]), rate=48000, title="Fine")
    (tmp_path / "truncated.mp3").write_bytes((tmp_path / "ok.mp3").read_bytes()[:600])
    (tmp_path / "text.mp3").write_text("this is not audio\n" * 100)
    async with serve_directory(tmp_path) as url:
        yield url


def http_track(url: str) -> str:
    """A track as Lavalink would have encoded it when the URL still worked."""
    return encode_track(
        TrackInfo("Gone", "Nobody", 60000, url, False, url, "http", details=b"\x00\x03mp3")
    )


@pytest.mark.parametrize(
    "path",
    ["http://127.0.0.1:1/closed.mp3", "{media}/missing.mp3", "{media}/text.mp3"],
)
async def test_failing_source_ends_in_exception_then_load_failed(
    node: RunningNode, media_url: str, path: str
) -> None:
    url = path.format(media=media_url)
    async with aiohttp.ClientSession() as http, FakeVoiceServer(
        guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)
    ) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"voice": server.voice_state(), "track": {"encoded": http_track(url)}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackStartEvent")
        exception = await socket.event("TrackExceptionEvent", 20)
        assert exception["exception"]["severity"] in ("common", "suspicious", "fault")
        assert exception["exception"]["message"]
        assert exception["exception"]["cause"]
        end = await socket.event("TrackEndEvent", 10)
        assert end["reason"] == "loadFailed"

        # The same player plays the next track.
        async with http.get(
            f"{node.url}/v4/loadtracks", params={"identifier": f"{media_url}/ok.mp3"}, headers=node.auth
        ) as response:
            encoded = (await response.json())["data"]["encoded"]
        async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=node.auth) as response:
            assert response.status == 200
        assert (await socket.event("TrackEndEvent", 15))["reason"] == "finished"
        await socket.close()


async def test_truncated_file_ends_the_track_and_not_the_node(node: RunningNode, media_url: str) -> None:
    async with aiohttp.ClientSession() as http, FakeVoiceServer(
        guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)
    ) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"voice": server.voice_state(), "track": {"encoded": http_track(f"{media_url}/truncated.mp3")}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        end = await socket.event("TrackEndEvent", 15)
        assert end["reason"] in ("finished", "loadFailed")
        async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
            assert response.status == 200
        await socket.close()


async def test_a_failing_source_is_reported_without_a_voice_connection(node: RunningNode) -> None:
    async with aiohttp.ClientSession() as http:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"track": {"encoded": http_track("http://127.0.0.1:1/closed.mp3")}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackExceptionEvent", 20)
        assert (await socket.event("TrackEndEvent", 10))["reason"] == "loadFailed"
        await socket.close()
