"""One bot's life, the same for every client library: connect → load → play into the fake Discord voice server →
pause / volume / seek / filters → end → destroy, with what the node did checked where Discord would see it.

Each library gets a `Driver` (tests/clients/*_driver.py) that does these steps with that library's own calls; the
checks here are the node's side: the listener's decoded audio, the speaking flag, and the player as the node's REST
API reports it through the library.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest

from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import serve_directory, write_audio
from tests.node import USER_ID
from tests.voice.audio import sweep

GUILD, CHANNEL, LISTENER = 123456789012345678, 223456789012345678, 444
SECONDS = 4.0
TITLE = "Client Sweep"
# Generous: the machine is shared; nothing here measures time, these only bound a wait for an event.
EVENT_TIMEOUT = 20.0


class Driver(Protocol):
    """A client library connected to the node, doing one step per call with that library's own API."""

    async def join(self, server: FakeVoiceServer) -> None: ...
    async def load(self, identifier: str) -> tuple[str, str]: ...  # (encoded, title)
    async def play(self, encoded: str) -> None: ...
    async def wait_track_start(self) -> str: ...  # the started track's title
    async def wait_track_end(self, timeout: float) -> str: ...  # Lavalink's reason, e.g. "finished"
    async def pause(self, paused: bool) -> None: ...
    async def set_volume(self, volume: int) -> None: ...
    async def seek(self, position_ms: int) -> None: ...
    async def set_timescale(self, speed: float) -> None: ...
    async def remote_player(self) -> dict[str, Any]: ...  # GET /v4/sessions/{id}/players/{guild}, as JSON
    async def destroy(self) -> None: ...
    async def remote_players(self) -> list[Any]: ...
    async def stats_uptime_ms(self) -> int | None: ...  # uptime in the last `stats` the library parsed


@contextlib.asynccontextmanager
async def sweep_server(root: Path) -> AsyncIterator[str]:
    """An HTTP server with a 4 s sweep mp3 (48 kHz, constant level); yields its URL."""
    mono = sweep(SECONDS)
    write_audio(root / "sweep.mp3", samples=np.stack([mono, mono]), rate=48000, title=TITLE, artist="Tests")
    async with serve_directory(root) as url:
        yield f"{url}/sweep.mp3"


def voice_server() -> FakeVoiceServer:
    return FakeVoiceServer(guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,))


def _rms(listener: SimulatedListener, last_samples: int) -> float:
    pcm = listener.pcm()[-last_samples:]
    return float(np.sqrt(np.mean(np.square(pcm)))) if len(pcm) else 0.0


async def _frames_beyond(server: FakeVoiceServer, count: int) -> None:
    listener = server.listeners[LISTENER]
    await server.wait_for(lambda: len(listener.frames) >= count, EVENT_TIMEOUT)


async def play_through(driver: Driver, server: FakeVoiceServer, track_url: str) -> None:
    listener = server.listeners[LISTENER]
    await driver.join(server)
    encoded, title = await driver.load(track_url)
    assert title == TITLE

    await driver.play(encoded)
    assert await driver.wait_track_start() == TITLE
    await _frames_beyond(server, 25)
    loud = _rms(listener, 10 * 960)
    assert loud > 0.2  # the sweep is at half scale: RMS ≈ 0.35

    await driver.set_volume(50)
    # Frames already encoded before the change may still be queued; 25 later frames are surely after it.
    await _frames_beyond(server, len(listener.frames) + 25)
    assert _rms(listener, 10 * 960) < 0.8 * loud

    await driver.pause(True)
    await server.wait_for(lambda: server.speaking[-1:] == [0], EVENT_TIMEOUT)
    frames_at_pause = len(listener.frames)
    await driver.seek(1000)
    await driver.set_timescale(1.25)
    remote = await driver.remote_player()
    assert remote["paused"] is True
    assert remote["volume"] == 50
    assert remote["state"]["position"] == 1000
    assert remote["filters"]["timescale"]["speed"] == pytest.approx(1.25)
    assert remote["track"]["info"]["title"] == TITLE
    assert remote["voice"]["sessionId"] == server.session_id
    assert remote["voice"]["endpoint"] == server.endpoint
    assert len(listener.frames) == frames_at_pause  # nothing is sent while paused

    await driver.pause(False)
    await _frames_beyond(server, frames_at_pause + 25)
    assert await driver.wait_track_end(EVENT_TIMEOUT + SECONDS) == "finished"
    await server.wait_for(lambda: server.speaking[-1:] == [0], EVENT_TIMEOUT)

    assert listener.dave_failures == 0
    assert listener.plain_frames == 0  # every audio frame was end-to-end encrypted
    # 1 s of music before the seek, then 3 s from 1 s on at 1.25x: about 3.4 s of audio in all.
    assert len(listener.frames) >= 0.8 * (1 + 3 / 1.25) * 50

    await driver.destroy()
    assert await driver.remote_players() == []
