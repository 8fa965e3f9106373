from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.media import write_audio

FAKE_YT = Path(__file__).with_name("fakeyt.py")

JVM_PLUGINS = [
    {"dependency": "com.github.topi314.lavasearch:lavasearch-plugin:1.0.0"},
    {"dependency": "com.github.topi314.lavalyrics:lavalyrics-plugin:1.0.0"},
    {"dependency": "com.github.topi314.sponsorblock:sponsorblock-plugin:3.0.0"},
]


@pytest.fixture
def bundled_config(tmp_path: Path) -> Callable[..., dict[str, Any]]:
    """A node config with the fake `youtube` folder plugin (yt-dlp's YouTube off) and the three JVM plugins
    declared, plus `plugins` sections merged in."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    shutil.copy(FAKE_YT, folder / "fakeyt.py")
    # Something playable, so a player given a fake YouTube track keeps it (a paused one holds it indefinitely).
    sweep = write_audio(tmp_path / "fakeyt-sweep.flac", 6.0)

    def make(plugins: dict[str, Any] | None = None) -> dict[str, Any]:
        plugins = dict(plugins or {})
        plugins["fakeyt"] = {"media": str(sweep), **plugins.get("fakeyt", {})}
        return {
            "lavalink": {"pluginsDir": str(folder), "plugins": JVM_PLUGINS,
                         "server": {"sources": {"youtube": False}}},
            "plugins": plugins,
        }

    return make
