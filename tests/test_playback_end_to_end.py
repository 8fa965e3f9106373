"""The whole path, as a bot and Discord see it: lavalink.py loads an HTTP mp3 and plays it on a player whose voice
state names the fake Discord voice server; a simulated listener (another DAVE member) decrypts and decodes what
arrives, and the audio must be the source's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import lavalink
import numpy as np
import pytest

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.lavalink_bot import bot_in_voice
from tests.media import make_hls, serve_directory, write_audio
from tests.node import USER_ID, NodeFactory, RunningNode, connect
from tests.voice.audio import snr_db, sweep

GUILD, CHANNEL, LISTENER = 111, 222, 444
SECONDS = 3.0
BOTH_MODES = ("aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize")


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    mono = sweep(SECONDS)
    write_audio(tmp_path / "sweep.mp3", samples=np.stack([mono, mono]), rate=48000, title="Sweep")
    write_audio(tmp_path / "sweep.flac", samples=np.stack([mono, mono]), rate=48000, title="Sweep")
    make_hls(tmp_path / "sweep.flac", tmp_path / "hls")
    async with serve_directory(tmp_path) as url:
        yield url


async def hear(node: RunningNode, identifier: str, modes: tuple[str, ...] = BOTH_MODES) -> np.ndarray[Any, Any]:
    """Play `identifier` to its end through lavalink.py into a fake voice server; what the listener decoded."""
    async with bot_in_voice(node, GUILD, channel_id=CHANNEL, listener_ids=(LISTENER,), modes=modes) as bot:
        server = bot.server
        result = await bot.client.get_tracks(identifier)
        assert result.load_type == lavalink.LoadType.TRACK, result
        await bot.player.play(result.tracks[0])
        await bot.events.wait(lavalink.TrackStartEvent)
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS + 15)
        assert ended.reason == lavalink.EndReason.FINISHED
        await server.wait_for(lambda: server.speaking[-1:] == [0], 30)

        assert server.selected_mode == modes[0]
        assert not server.sequence_errors()
        assert not server.timestamp_errors()
        listener = server.listeners[LISTENER]
        assert listener.dave_failures == 0
        assert listener.plain_frames == 0  # every audio frame was end-to-end encrypted
        await bot.client.player_manager.destroy(GUILD)
        return listener.pcm()


@pytest.mark.parametrize("modes", [BOTH_MODES, ("aead_xchacha20_poly1305_rtpsize",)])
async def test_listener_hears_an_http_mp3(node: RunningNode, media_url: str, modes: tuple[str, ...]) -> None:
    heard = await hear(node, f"{media_url}/sweep.mp3", modes)
    assert len(heard) >= 0.9 * SECONDS * 48000
    assert snr_db(sweep(SECONDS), heard) >= 25.0


@pytest.mark.parametrize("kind", ["local-flac", "hls"])
async def test_listener_hears_a_local_flac_and_an_hls_stream(
    node: RunningNode, media_url: str, tmp_path: Path, kind: str
) -> None:
    identifier = str(tmp_path / "sweep.flac") if kind == "local-flac" else f"{media_url}/hls/index.m3u8"
    heard = await hear(node, identifier)
    assert len(heard) >= 0.9 * SECONDS * 48000
    assert snr_db(sweep(SECONDS), heard) >= 25.0


async def test_position_follows_frames_played(node: RunningNode, media_url: str) -> None:
    async with bot_in_voice(node, GUILD, "n", channel_id=CHANNEL, listener_ids=(LISTENER,)) as bot:
        server = bot.server
        track = (await bot.client.get_tracks(f"{media_url}/sweep.mp3")).tracks[0]
        await bot.player.play(track, start_time=1000)
        await server.wait_for(lambda: len(server.listeners[LISTENER].frames) >= 25, 10)
        await bot.player.set_pause(True)
        await server.wait_for(lambda: server.speaking[-1:] == [0], 30)  # silence sent, speech over
        received = len(server.listeners[LISTENER].frames)
        position = (await bot.node.get_player(GUILD))["state"]["position"]
        # Position counts frames actually sent: the start plus 20 ms per frame the listener received.
        assert abs(position - (1000 + 20 * received)) <= 60
        await asyncio.sleep(0.2)  # time passes while paused; the position must not
        assert (await bot.node.get_player(GUILD))["state"]["position"] == position
        await bot.client.player_manager.destroy(GUILD)


async def test_stats_report_frames_actually_sent(make_node: NodeFactory, media_url: str) -> None:
    node = await make_node(stats_interval_s=1.2)
    async with aiohttp.ClientSession() as http, FakeVoiceServer(
        guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,)
    ) as server:
        socket, ready, _ = await connect(http, node)
        async with http.get(
            f"{node.url}/v4/loadtracks", params={"identifier": f"{media_url}/sweep.mp3"}, headers=node.auth
        ) as response:
            encoded = (await response.json())["data"]["encoded"]
        url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"voice": server.voice_state(), "track": {"encoded": encoded}}
        async with http.patch(url, json=body, headers=node.auth) as response:
            assert response.status == 200
        stats = await socket.next_matching(lambda m: m["op"] == "stats" and m.get("frameStats") is not None, 30)
        frames = stats["frameStats"]
        # Per minute, averaged over playing players: one frame per 20 ms is 3000, and what was neither sent nor
        # nulled is the deficit. How many of the 3000 were sent depends on how busy the machine is (a starved
        # frame clock skips ticks), so only the accounting is asserted, not the rate.
        assert 0 < frames["sent"] <= 3100
        assert 0 <= frames["nulled"] <= 3100
        assert abs(frames["sent"] + frames["nulled"] + frames["deficit"] - 3000) <= 2  # each figure rounded
        assert server.packets, "frames reported sent, none arrived"
        await socket.close()
