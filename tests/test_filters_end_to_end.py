"""Filters as a bot sets them and a listener hears them: lavalink.py sets timescale / equalizer / volume filters,
plays a local tone through the node into the fake Discord voice server, and the decoded audio is measured against
Lavalink's formulas (lavadsp's SoundTouch timescale, lavaplayer's equalizer, lavadsp's volume curve)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lavalink
import numpy as np
import pytest
from lavalink import filters

from tests.audio.filters.render import amplitude_at, db, peak_hz
from tests.audio.filters.test_measured import equalizer_gain
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.lavalink_bot import bot_in_voice
from tests.media import write_audio
from tests.node import RunningNode
from tests.test_playback_end_to_end import CHANNEL, GUILD, LISTENER

SECONDS = 3.0
HZ = 1000.0
LEVEL = 0.3


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
def tone_file(tmp_path: Path) -> Path:
    mono = (LEVEL * np.sin(2 * np.pi * HZ * np.arange(round(SECONDS * 48000)) / 48000)).astype(np.float32)
    return write_audio(tmp_path / "tone.flac", samples=np.stack([mono, mono]), rate=48000, title="Tone")


async def hear_filtered(node: RunningNode, identifier: str, applied: list[filters.Filter[Any]]) -> np.ndarray[Any, Any]:
    async with bot_in_voice(node, GUILD, channel_id=CHANNEL, listener_ids=(LISTENER,)) as bot:
        for one in applied:
            await bot.player.set_filter(one)
        result = await bot.client.get_tracks(identifier)
        assert result.load_type == lavalink.LoadType.TRACK, result
        await bot.player.play(result.tracks[0])
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS * 3 + 15)
        assert ended.reason == lavalink.EndReason.FINISHED
        await bot.server.wait_for(lambda: bot.server.speaking[-1:] == [0], 5)
        await bot.client.player_manager.destroy(GUILD)
        return bot.server.listeners[LISTENER].pcm().astype(np.float64)


def steady(pcm: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return pcm[4800 : len(pcm) - 4800]


async def test_timescale_is_heard(node: RunningNode, tone_file: Path) -> None:
    timescale = filters.Timescale()
    timescale.update(speed=1.5, pitch=1.2)
    heard = await hear_filtered(node, str(tone_file), [timescale])
    # SoundTouch semantics: 3 s at speed 1.5 lasts 2 s, pitch 1.2 moves 1 kHz to 1.2 kHz.
    assert abs(len(heard) / 48000 - SECONDS / 1.5) <= 0.05
    assert abs(peak_hz(steady(heard)) / (HZ * 1.2) - 1) <= 0.01


async def test_equalizer_is_heard(node: RunningNode, tone_file: Path) -> None:
    equalizer = filters.Equalizer()
    equalizer.update(bands=[(8, 0.25), (7, 0.1)])
    heard = await hear_filtered(node, str(tone_file), [equalizer])
    gains = [0.0] * 15
    gains[8], gains[7] = 0.25, 0.1
    measured = db(amplitude_at(steady(heard), HZ) / LEVEL)
    assert abs(measured - db(equalizer_gain(gains, HZ))) <= 1.0


async def test_filter_volume_is_heard(node: RunningNode, tone_file: Path) -> None:
    volume = filters.Volume()
    volume.update(volume=0.5)
    heard = await hear_filtered(node, str(tone_file), [volume])
    # lavadsp's curve: tan(0.5 * 0.79) = 0.417 -> -7.6 dB (not -6 dB).
    assert abs(db(amplitude_at(steady(heard), HZ) / LEVEL) - db(np.tan(0.5 * 0.79))) <= 0.3


async def test_a_filter_set_mid_track_is_heard_without_a_gap(node: RunningNode, tone_file: Path) -> None:
    async with bot_in_voice(node, GUILD, channel_id=CHANNEL, listener_ids=(LISTENER,)) as bot:
        server = bot.server
        result = await bot.client.get_tracks(str(tone_file))
        await bot.player.play(result.tracks[0])
        listener = server.listeners[LISTENER]
        await server.wait_for(lambda: len(listener.frames) >= 50, 10)
        volume = filters.Volume()
        volume.update(volume=0.5)
        await bot.player.set_filter(volume)
        applied_at = len(listener.frames)
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS * 3 + 15)
        assert ended.reason == lavalink.EndReason.FINISHED
        await server.wait_for(lambda: server.speaking[-1:] == [0], 5)
        assert not server.sequence_errors()
        pcm = listener.pcm().astype(np.float64)
        await bot.client.player_manager.destroy(GUILD)
    # Every 20 ms of the 3 s track arrived once: no frame lost or repeated across the switch.
    assert abs(len(pcm) / 48000 - SECONDS) <= 0.06
    frames = len(pcm) // 960
    levels = np.sqrt(2 * np.mean(pcm[: frames * 960].reshape(frames, 960) ** 2, axis=1))
    assert abs(np.median(levels[5 : applied_at - 2]) - LEVEL) < 0.01
    assert abs(np.median(levels[applied_at + 25 : frames - 5]) - LEVEL * np.tan(0.5 * 0.79)) < 0.01
    first_quiet = next(i for i in range(applied_at - 5, frames) if levels[i] < 0.2)
    # Frames the listener received between the PATCH's answer and the new sound (the bench measures ~1-2 frames;
    # the bound is loose so that a loaded machine does not fail it).
    assert first_quiet - applied_at <= 25
