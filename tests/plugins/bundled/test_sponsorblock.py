"""The bundled sponsorblock-plugin against a local SponsorBlock API, over raw HTTP and the raw WebSocket
(lavalink.py has no SponsorBlock calls): the categories routes, and a `youtube` track (the folder plugin's test
source) played into the fake Discord voice server with its sponsor segment skipped — the listener never hears the
segment's tone, and SegmentsLoaded / ChaptersLoaded / ChapterStarted / SegmentSkipped arrive in SponsorBlock's
shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt
import pytest

from lavalink_py.plugins.bundled.sponsorblock_api import parse_chapters, parse_segments
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.fakes.lyrics_services import FakeSponsorBlock, segment, serve
from tests.media import write_audio
from tests.node import USER_ID, NodeFactory, RunningNode, connect

GUILD, LISTENER = 555, 444
RATE = 48_000
MAIN_HZ, SPONSOR_HZ = 440.0, 1800.0
SPONSOR = (2.0, 4.0)  # seconds of the 6 s track that are the sponsor read
BLOCK = 960  # 20 ms


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


def three_parts(seconds: float = 6.0) -> npt.NDArray[np.float32]:
    """440 Hz, then the sponsor segment at 1800 Hz, then 440 Hz again."""
    t = np.arange(int(seconds * RATE)) / RATE
    hz = np.where((t >= SPONSOR[0]) & (t < SPONSOR[1]), SPONSOR_HZ, MAIN_HZ)
    phase = 2 * np.pi * np.cumsum(hz) / RATE
    mono = (0.4 * np.sin(phase)).astype(np.float32)
    return np.stack([mono, mono])


def dominant_hz(pcm: npt.NDArray[np.float32]) -> list[float]:
    """The strongest frequency of each 20 ms block that is not silence."""
    out = []
    for start in range(0, len(pcm) - BLOCK, BLOCK):
        block = pcm[start:start + BLOCK]
        if np.sqrt(np.mean(block**2)) < 0.05:
            continue
        spectrum = np.abs(np.fft.rfft(block * np.hanning(BLOCK)))
        out.append(float(np.argmax(spectrum) * RATE / BLOCK))
    return out


@pytest.fixture
async def sponsorblock() -> AsyncIterator[tuple[FakeSponsorBlock, str]]:
    fake = FakeSponsorBlock({"vid-sponsored": [
        segment(*SPONSOR, "sponsor", duration_s=6.0),
        segment(5.0, 5.5, "outro", duration_s=6.0),  # not asked for: played
        segment(1.0, 1.0, "poi_highlight", action="poi", duration_s=6.0),
        segment(0.0, 1.0, "chapter", action="chapter", description="Intro", duration_s=6.0),
        segment(1.0, 6.0, "chapter", action="chapter", description="Main", duration_s=6.0),
    ]})
    async with serve(fake.app()) as url:
        yield fake, url


async def sponsor_node(make_node: NodeFactory, config: Callable[..., dict[str, Any]], tmp_path: Path,
                       url: str) -> RunningNode:
    media = write_audio(tmp_path / "sponsored.flac", samples=three_parts(), rate=RATE)
    return await make_node(config({"fakeyt": {"media": str(media), "lengthMs": 6000},
                                   "sponsorblock": {"baseUrl": url}}))


def test_api_segments_and_chapters_parse() -> None:
    body = [segment(2.0, 4.5, "sponsor"), segment(1, 1, "poi_highlight", action="poi"),
            segment(0, 3, "music_offtopic", action="mute"), {"segment": "bad"},
            segment(0, 10, "chapter", action="chapter", description="A")]
    assert [s.to_json() for s in parse_segments(body)] == [{"category": "sponsor", "start": 2000, "end": 4500}]
    assert [c.to_json() for c in parse_chapters(body)] == [{"name": "A", "start": 0, "end": 10000, "duration": 10000}]


async def test_categories_routes(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    tmp_path: Path, sponsorblock: tuple[FakeSponsorBlock, str],
) -> None:
    node = await sponsor_node(make_node, bundled_config, tmp_path, sponsorblock[1])
    socket, ready, _ = await connect(http, node)
    url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}/sponsorblock/categories"
    async with http.get(url, headers=node.auth) as response:
        assert response.status == 404
    # The JVM plugin's PUT and DELETE return void: Spring answers 200 with no body.
    async with http.put(url, json=["sponsor", "selfpromo"], headers=node.auth) as response:
        assert (response.status, await response.read()) == (200, b"")
    async with http.get(url, headers=node.auth) as response:
        assert await response.json() == ["sponsor", "selfpromo"]
    for bad in ({"sponsor": True}, [1]):
        async with http.put(url, json=bad, headers=node.auth) as response:
            assert response.status == 400, bad
            assert (await response.json())["message"].startswith("body:")
    async with http.put(url, data=b"{not json", headers=node.auth) as response:
        assert response.status == 400
    async with http.get(url, headers=node.auth) as response:
        assert await response.json() == ["sponsor", "selfpromo"]  # refused bodies changed nothing
    # The JVM plugin takes any strings (`@RequestBody Set<String>`): a category SponsorBlock does not know is kept
    # and asked for, as there; a repeated one is kept once (a Set).
    async with http.put(url, json=["sponsor", "adverts", "sponsor"], headers=node.auth) as response:
        assert response.status == 200
    async with http.get(url, headers=node.auth) as response:
        assert await response.json() == ["sponsor", "adverts"]
    async with http.delete(url, headers=node.auth) as response:
        assert (response.status, await response.read()) == (200, b"")
    async with http.get(url, headers=node.auth) as response:
        assert response.status == 404
    other = f"{node.url}/v4/sessions/nope/players/{GUILD}/sponsorblock/categories"
    async with http.put(other, json=["sponsor"], headers=node.auth) as response:
        assert response.status == 404
    async with http.get(other, headers=node.auth) as response:
        assert response.status == 404
    async with http.delete(other, headers=node.auth) as response:
        assert (response.status, await response.read()) == (200, b"")  # nothing to delete is done as well
    await socket.close()


async def test_the_sponsor_segment_is_skipped_as_the_listener_hears_it(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    tmp_path: Path, sponsorblock: tuple[FakeSponsorBlock, str],
) -> None:
    fake, api_url = sponsorblock
    node = await sponsor_node(make_node, bundled_config, tmp_path, api_url)
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(LISTENER,)) as server:
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.put(f"{player_url}/sponsorblock/categories", json=["sponsor"], headers=node.auth) as r:
            assert r.status == 200
        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:vid-sponsored"},
                            headers=node.auth) as r:
            encoded = (await r.json())["data"]["encoded"]
        async with http.patch(player_url, json={"voice": server.voice_state(), "track": {"encoded": encoded}},
                              headers=node.auth) as r:
            assert r.status == 200

        await socket.event("TrackStartEvent", 20)
        loaded = await socket.event("SegmentsLoaded", 20)
        assert loaded == {"op": "event", "type": "SegmentsLoaded", "guildId": str(GUILD),
                          "segments": [{"category": "sponsor", "start": 2000, "end": 4000}]}
        chapters = await socket.event("ChaptersLoaded", 10)
        assert chapters["chapters"] == [{"name": "Intro", "start": 0, "end": 1000, "duration": 1000},
                                        {"name": "Main", "start": 1000, "end": 6000, "duration": 5000}]
        first = await socket.event("ChapterStarted", 10)
        assert first["chapter"]["name"] == "Intro" and first["guildId"] == str(GUILD)
        assert (await socket.event("ChapterStarted", 10))["chapter"]["name"] == "Main"
        skipped = await socket.event("SegmentSkipped", 20)
        assert skipped == {"op": "event", "type": "SegmentSkipped", "guildId": str(GUILD),
                           "segment": {"category": "sponsor", "start": 2000, "end": 4000}}
        end = await socket.event("TrackEndEvent", 30)
        assert end["reason"] == "finished"
        await server.wait_for(lambda: server.speaking[-1:] == [0], 5)

        request = fake.requests[0].query
        assert request["videoID"] == "vid-sponsored" and request["categories"] == '["sponsor"]'
        heard = dominant_hz(server.listeners[LISTENER].pcm())
        main = sum(1 for hz in heard if abs(hz - MAIN_HZ) < 100)
        sponsor = sum(1 for hz in heard if abs(hz - SPONSOR_HZ) < 100)
        # All 4 s of the main tone are heard; of the 2 s sponsor read at most the blocks between reaching its start
        # and the seek taking effect (the position is checked every 50 ms; frames already queued still play).
        assert main * BLOCK >= 3.6 * RATE, (main, sponsor)
        assert sponsor * BLOCK <= 0.6 * RATE, (main, sponsor)
        await socket.close()


async def test_nothing_is_fetched_without_categories_or_for_other_sources(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    tmp_path: Path, sponsorblock: tuple[FakeSponsorBlock, str],
) -> None:
    fake, api_url = sponsorblock
    node = await sponsor_node(make_node, bundled_config, tmp_path, api_url)
    socket, ready, _ = await connect(http, node)
    player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:vid-sponsored"},
                        headers=node.auth) as r:
        encoded = (await r.json())["data"]["encoded"]
    async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=node.auth) as r:
        assert r.status == 200
    await socket.event("TrackStartEvent", 20)
    async with http.patch(player_url, json={"track": {"encoded": None}}, headers=node.auth) as r:
        assert r.status == 200
    await socket.event("TrackEndEvent", 20)
    assert fake.requests == []
    await socket.close()


async def test_segments_are_skipped_while_the_client_is_away_for_a_resume(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
    tmp_path: Path, sponsorblock: tuple[FakeSponsorBlock, str],
) -> None:
    node = await sponsor_node(make_node, bundled_config, tmp_path, sponsorblock[1])
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(LISTENER,)) as server:
        socket, ready, _ = await connect(http, node)
        session = ready["sessionId"]
        async with http.patch(f"{node.url}/v4/sessions/{session}", json={"resuming": True, "timeout": 60},
                              headers=node.auth) as r:
            assert r.status == 200
        player_url = f"{node.url}/v4/sessions/{session}/players/{GUILD}"
        async with http.put(f"{player_url}/sponsorblock/categories", json=["sponsor"], headers=node.auth) as r:
            assert r.status == 200
        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:vid-sponsored"},
                            headers=node.auth) as r:
            encoded = (await r.json())["data"]["encoded"]
        async with http.patch(player_url, json={"voice": server.voice_state(), "track": {"encoded": encoded}},
                              headers=node.auth) as r:
            assert r.status == 200
        await socket.event("SegmentsLoaded", 20)
        await socket.close()  # away before the segment starts at 2 s; the player plays on
        await server.wait_for(lambda: server.speaking[-1:] == [0], 30)  # the track played to its end

        resumed, again, _ = await connect(http, node, session_id=session)
        assert again["resumed"] is True
        skipped = await resumed.event("SegmentSkipped", 10)  # queued while the client was away
        assert skipped["segment"] == {"category": "sponsor", "start": 2000, "end": 4000}
        sponsor = sum(1 for hz in dominant_hz(server.listeners[LISTENER].pcm()) if abs(hz - SPONSOR_HZ) < 100)
        assert sponsor * BLOCK <= 0.6 * RATE
        await resumed.close()
