"""A plugin's filter is heard: `pluginFilters.gain` runs the stage the registered filter made."""

from __future__ import annotations

from pathlib import Path

from lavalink_py.audio import AudioEngine
from tests.audio.filters.plugin import GainFilter
from tests.audio.filters.render import amplitude_at, render, tone, trim, write_wav


async def test_plugin_filter_is_heard(engine: AudioEngine, tmp_path: Path) -> None:
    engine.filters.register(GainFilter(), plugin=True)
    path = write_wav(tmp_path / "t.wav", tone(1000.0, 1.0))
    out = trim(await render(engine, path, {"pluginFilters": {"gain": {"gain": 0.5}}}))[:, 0]
    assert abs(amplitude_at(out, 1000.0) / 0.3 - 0.5) < 0.01
