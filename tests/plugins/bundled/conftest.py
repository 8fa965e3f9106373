from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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

    def make(plugins: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "lavalink": {"pluginsDir": str(folder), "plugins": JVM_PLUGINS,
                         "server": {"sources": {"youtube": False}}},
            "plugins": plugins or {},
        }

    return make
