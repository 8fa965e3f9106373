"""lavalink.py, the client library from PyPI, drives the node exactly as a bot would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import lavalink
import pytest

from tests.lavalink_bot import Recorder
from tests.media import serve_directory, write_audio
from tests.node import USER_ID, RunningNode, TcpProxy

GUILD = 987654321987654321


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    write_audio(tmp_path / "sweep.mp3", 3.0, title="Sweep", artist="Test Tones")
    (tmp_path / "notes.txt").write_text("not audio at all\n" * 200)
    async with serve_directory(tmp_path) as url:
        yield url


@pytest.fixture
async def client(node: RunningNode) -> AsyncIterator[tuple[lavalink.Client, Any, Recorder]]:
    recorder = Recorder()
    client = lavalink.Client(int(USER_ID))
    client.add_event_hook(recorder.hook)
    port = int(node.url.rsplit(":", 1)[1])
    lavalink_node = client.add_node("127.0.0.1", port, node.password, "eu", "lavalink_py")
    ready = await recorder.wait(lavalink.NodeReadyEvent)
    assert ready.resumed is False
    yield client, lavalink_node, recorder
    await client.close()


async def test_info_stats_and_version(client: tuple[lavalink.Client, Any, Recorder], node: RunningNode) -> None:
    _, lavalink_node, _ = client
    info = await lavalink_node.get_info()
    assert info["version"]["major"] == 4
    assert "http" in info["sourceManagers"]
    stats = await lavalink_node.get_stats()
    assert stats["players"] == 0
    assert await lavalink_node.get_version() == node.version


async def test_load_http_mp3_and_local_file_and_decode(
    client: tuple[lavalink.Client, Any, Recorder], media_url: str, tmp_path: Path
) -> None:
    lavalink_client, _, _ = client
    result = await lavalink_client.get_tracks(f"{media_url}/sweep.mp3")
    assert result.load_type == lavalink.LoadType.TRACK
    track = result.tracks[0]
    assert (track.title, track.author, track.source_name) == ("Sweep", "Test Tones", "http")
    assert abs(track.duration - 3000) <= 60
    assert track.is_seekable and not track.stream
    decoded = await lavalink_client.decode_track(track.track)
    assert (decoded.title, decoded.uri, decoded.duration) == (track.title, track.uri, track.duration)

    local = write_audio(tmp_path / "local.flac", 1.5, title="Local Sweep", artist="Disk")
    result = await lavalink_client.get_tracks(str(local))
    assert result.load_type == lavalink.LoadType.TRACK
    assert (result.tracks[0].title, result.tracks[0].source_name) == ("Local Sweep", "local")
    decoded_many = await lavalink_client.decode_tracks([track.track, result.tracks[0].track])
    assert [t.title for t in decoded_many] == ["Sweep", "Local Sweep"]

    # lavaplayer's HTTP source treats a 404 as "no matches" and media it cannot read as an error.
    assert (await lavalink_client.get_tracks(f"{media_url}/missing.mp3")).load_type == lavalink.LoadType.EMPTY
    failed = await lavalink_client.get_tracks(f"{media_url}/notes.txt")
    assert failed.load_type == lavalink.LoadType.ERROR
    assert failed.error is not None


async def test_player_lifecycle(client: tuple[lavalink.Client, Any, Recorder], media_url: str) -> None:
    lavalink_client, lavalink_node, recorder = client
    track = (await lavalink_client.get_tracks(f"{media_url}/sweep.mp3")).tracks[0]
    player = lavalink_client.player_manager.create(GUILD)
    await player._voice_state_update({"guild_id": str(GUILD), "channel_id": "555", "session_id": "voice-session"})
    await player._voice_server_update({"guild_id": str(GUILD), "endpoint": "c-ams.discord.media", "token": "t0k"})

    await player.play(track)
    started = await recorder.wait(lavalink.TrackStartEvent)
    assert started.track.title == "Sweep"
    await player.set_volume(50)
    await player.set_pause(True)
    await player.seek(1000)
    await player.set_filter(lavalink.Timescale(speed=1.1))

    raw = await lavalink_node.get_player(GUILD)
    assert raw["volume"] == 50
    assert raw["paused"] is True
    assert raw["state"]["position"] == 1000
    assert raw["voice"] == {
        "token": "t0k",
        "endpoint": "c-ams.discord.media",
        "sessionId": "voice-session",
        "channelId": "555",
    }
    assert raw["filters"]["timescale"]["speed"] == pytest.approx(1.1)
    assert raw["track"]["info"]["title"] == "Sweep"

    await player.stop()
    ended = await recorder.wait(lavalink.TrackEndEvent)
    assert ended.reason == lavalink.EndReason.STOPPED
    await lavalink_client.player_manager.destroy(GUILD)
    assert await lavalink_node.get_players() == []


async def test_session_resumes_across_a_dropped_socket(node: RunningNode) -> None:
    """The socket is cut; the bot comes back with lavalink.py's `session_id` and finds its session and players.

    lavalink.py 5.11.1 builds its handshake headers once per connection task, so its own automatic reconnect does not
    send `Session-Id`; a bot resumes by adding the node with the session id it kept, which this test does.
    """
    proxy = TcpProxy(int(node.url.rsplit(":", 1)[1]))
    await proxy.start()
    first_client = lavalink.Client(int(USER_ID))
    recorder = Recorder()
    first_client.add_event_hook(recorder.hook)
    first_node = first_client.add_node("127.0.0.1", proxy.port, node.password, "eu", "before")
    second_client = lavalink.Client(int(USER_ID))
    try:
        first = await recorder.wait(lavalink.NodeReadyEvent)
        await first_node.update_session(resuming=True, timeout=30)
        player = first_client.player_manager.create(GUILD)
        await player.set_volume(70)
        proxy.drop_all()
        await first_client.close()

        second_recorder = Recorder()
        second_client.add_event_hook(second_recorder.hook)
        port = int(node.url.rsplit(":", 1)[1])
        second_node = second_client.add_node(
            "127.0.0.1", port, node.password, "eu", "after", session_id=first.session_id
        )
        resumed = await second_recorder.wait(lavalink.NodeReadyEvent)
        assert resumed.resumed is True
        assert resumed.session_id == first.session_id
        assert (await second_node.get_player(GUILD))["volume"] == 70
    finally:
        await second_client.close()
        await proxy.close()
