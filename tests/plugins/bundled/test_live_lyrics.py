"""LavaLyrics' live lyrics through the bundled plugin: a subscribed player playing into the fake Discord voice server
gets LyricsFoundEvent and a LyricsLineEvent per line as playback reaches it (a line jumped over by a seek is
`skipped`); without lyrics, LyricsNotFoundEvent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.fakes.lyrics_services import FakeLrclib, serve
from tests.node import USER_ID, NodeFactory, RunningNode, connect

GUILD = 321
SYNCED = "[00:00.50] one\n[00:01.50] two\n[00:03.00] three\n"


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
async def lrclib() -> AsyncIterator[tuple[FakeLrclib, str]]:
    fake = FakeLrclib([{"id": 5, "trackName": "Sweep", "artistName": "Test Tones", "albumName": "", "duration": 6,
                        "instrumental": False, "plainLyrics": "one\ntwo\nthree", "syncedLyrics": SYNCED}])
    async with serve(fake.app()) as url:
        yield fake, url


async def load(http: aiohttp.ClientSession, node: RunningNode) -> str:
    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:abc"}, headers=node.auth) as r:
        return str((await r.json())["data"]["encoded"])


async def test_lines_arrive_as_playback_reaches_them(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    node = await make_node(bundled_config({"lavalyrics": {"lrclib": {"baseUrl": lrclib[1]}}}))
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.post(f"{player_url}/lyrics/subscribe", headers=node.auth) as r:
            assert r.status == 204
        async with http.patch(player_url, json={"voice": server.voice_state(), "track": {"encoded": await load(
                http, node)}}, headers=node.auth) as r:
            assert r.status == 200
        found = await socket.event("LyricsFoundEvent", 20)
        assert found["guildId"] == str(GUILD) and found["lyrics"]["sourceName"] == "lrclib"
        assert [x["line"] for x in found["lyrics"]["lines"]] == ["one", "two", "three"]
        first = await socket.event("LyricsLineEvent", 20)
        assert first == {"op": "event", "type": "LyricsLineEvent", "guildId": str(GUILD), "lineIndex": 0,
                         "line": {"timestamp": 500, "duration": 1000, "line": "one", "plugin": {}}, "skipped": False}
        async with http.patch(player_url, json={"position": 3500}, headers=node.auth) as r:
            assert r.status == 200
        second = await socket.event("LyricsLineEvent", 20)
        third = await socket.event("LyricsLineEvent", 20)
        assert (second["lineIndex"], second["skipped"]) == (1, True)  # jumped over by the seek
        assert (third["lineIndex"], third["skipped"]) == (2, False)  # the line playing after the seek
        await socket.event("TrackEndEvent", 30)
        async with http.delete(f"{player_url}/lyrics/subscribe", headers=node.auth) as r:
            assert r.status == 204
        await socket.close()


async def test_not_found_and_bad_subscriptions(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    lrclib: tuple[FakeLrclib, str],
) -> None:
    fake, url = lrclib
    fake.records.clear()
    node = await make_node(bundled_config({"lavalyrics": {"lrclib": {"baseUrl": url}}}))
    socket, ready, _ = await connect(http, node)
    player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    async with http.patch(player_url, json={"track": {"encoded": await load(http, node)}, "paused": True},
                          headers=node.auth) as r:
        assert r.status == 200
    await socket.event("TrackStartEvent", 20)
    async with http.post(f"{player_url}/lyrics/subscribe", headers=node.auth) as r:
        assert r.status == 204
    assert (await socket.event("LyricsNotFoundEvent", 20))["guildId"] == str(GUILD)
    async with http.post(f"{node.url}/v4/sessions/nope/players/{GUILD}/lyrics/subscribe", headers=node.auth) as r:
        assert r.status == 404
    async with http.post(f"{player_url}/lyrics/subscribe", params={"skipTrackSource": "sometimes"},
                         headers=node.auth) as r:
        assert r.status == 400
    await socket.close()
