from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lavalink_py.audio import AudioEngine, EngineSettings
from lavalink_py.audio.results import EndReason, StreamFailure
from tests.audio.media import write_media

SECONDS = 3.0


@dataclass(frozen=True)
class Media:
    mp3: Path
    flac: Path
    wav: Path
    m4a: Path
    ogg: Path
    root: Path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("media")
    return Media(
        mp3=write_media(root / "sweep.mp3", "libmp3lame", 44_100, SECONDS),
        flac=write_media(root / "sweep.flac", "flac", 44_100, SECONDS),
        wav=write_media(root / "sweep.wav", "pcm_s16le", 44_100, SECONDS),
        m4a=write_media(root / "sweep.m4a", "aac", 44_100, SECONDS, fmt="ipod"),
        ogg=write_media(root / "sweep.ogg", "libopus", 48_000, SECONDS),
        root=root,
    )


@pytest.fixture
async def engine() -> AsyncIterator[AudioEngine]:
    eng = AudioEngine(EngineSettings(stuck_threshold_ms=400))
    yield eng
    for playback in list(eng.playbacks):
        eng.remove_playback(playback)
    await eng.close()


class Events:
    """A PlaybackListener that records what happened, in order."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.failures: list[StreamFailure] = []

    def on_track_start(self) -> None:
        self.log.append("start")

    def on_track_end(self, reason: EndReason) -> None:
        self.log.append(f"end:{reason.value}")

    def on_track_exception(self, failure: StreamFailure) -> None:
        self.failures.append(failure)
        self.log.append(f"exception:{failure.severity.value}")

    def on_track_stuck(self, threshold_ms: int) -> None:
        self.log.append("stuck")


async def play_to_end(engine: AudioEngine, events: Events, max_ticks: int = 400) -> int:
    """Pump the clock until the track ends; returns the ticks used."""
    for tick in range(max_ticks):
        if any(entry.startswith("end:") for entry in events.log):
            return tick
        await engine.pump(1)
    raise AssertionError(f"track did not end within {max_ticks} ticks: {events.log}")
