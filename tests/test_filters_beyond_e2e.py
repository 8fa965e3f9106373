"""The loudness normaliser as a bot uses it: lavalink.py sends the `loudness` filter (a custom `Filter`, as a bot
would add one lavalink.py does not know) and plays two tracks mastered 20 dB apart into the fake Discord voice
server; the listener decrypts and decodes what arrived, and FFmpeg's ebur128 finds both at the target."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lavalink
import numpy as np
import pytest

from tests.audio.filter_signals import ebur128
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.lavalink_bot import bot_in_voice
from tests.media import write_audio
from tests.node import RunningNode
from tests.test_playback_end_to_end import CHANNEL, GUILD, LISTENER

SECONDS = 6.0
TARGET_LUFS = -18.0


class Loudness(lavalink.Filter[dict[str, float]]):  # type: ignore[misc]  # lavalink.py is untyped here
    def __init__(self, target_lufs: float) -> None:
        super().__init__({"targetLufs": target_lufs, "maxGainDb": 30.0})

    def update(self, **kwargs: Any) -> None:
        self.values.update(kwargs)

    def serialize(self) -> dict[str, dict[str, float]]:
        return {"loudness": self.values}


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


def mastered(path: Path, peak: float, seed: int) -> Path:
    rate = 44_100
    t = np.arange(round(SECONDS * rate)) / rate
    rng = np.random.default_rng(seed)
    mono = 0.15 * rng.standard_normal(len(t)) + 0.5 * np.sin(2 * np.pi * 55 * t)
    mono += 0.3 * np.sin(2 * np.pi * (440 + 40 * np.sin(2 * np.pi * 3 * t)) * t)
    mono *= peak / np.max(np.abs(mono))
    return write_audio(path, samples=np.stack([mono, mono]).astype(np.float32))


async def hear_normalised(node: RunningNode, identifier: str) -> np.ndarray[Any, Any]:
    async with bot_in_voice(node, GUILD, channel_id=CHANNEL, listener_ids=(LISTENER,)) as bot:
        await bot.player.set_filter(Loudness(TARGET_LUFS))
        result = await bot.client.get_tracks(identifier)
        assert result.load_type == lavalink.LoadType.TRACK, result
        await bot.player.play(result.tracks[0])
        await bot.events.wait(lavalink.TrackStartEvent)
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS + 20)
        assert ended.reason == lavalink.EndReason.FINISHED
        await bot.server.wait_for(lambda: bot.server.speaking[-1:] == [0], 5)
        await bot.client.player_manager.destroy(GUILD)
        return bot.server.listeners[LISTENER].pcm()


async def test_listener_hears_tracks_20_db_apart_at_one_loudness(node: RunningNode, tmp_path: Path) -> None:
    sources = [mastered(tmp_path / "loud.flac", 0.9, 1), mastered(tmp_path / "quiet.flac", 0.09, 2)]
    for path in sources:
        heard = await hear_normalised(node, str(path))
        assert len(heard) >= 0.9 * SECONDS * 48_000
        stereo = np.stack([heard, heard], axis=1).astype(np.float32)
        assert ebur128(stereo)["I"] == pytest.approx(TARGET_LUFS, abs=1.0)
        assert ebur128(stereo[: 48_000 * 4 // 10])["M"] <= TARGET_LUFS + 1.5  # no burst as the track starts
