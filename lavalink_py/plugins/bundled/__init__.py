"""The Python plugins bundled with the node that stand in for Lavalink's JVM plugins (docs/plugins.md).

Each is set up through the same plugin API as any other, after the folder's and the entry points' plugins, when its
JVM artifact is listed in `lavalink.plugins` or its `plugins.<section>` block is present, unless that block says
`enabled: false`. It is then listed in `/v4/info` under the JVM plugin's name, which client libraries look for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from lavalink_py.plugins.api import Plugin
from lavalink_py.plugins.bundled.lavasearch import LavaSearchPlugin
from lavalink_py.plugins.bundled.lyrics import LavaLyricsPlugin
from lavalink_py.plugins.bundled.sponsorblock import SponsorBlockPlugin


@dataclass(frozen=True, slots=True)
class Bundled:
    artifact: str  # the JVM plugin's group:artifact in lavalink.plugins
    section: str  # its plugins.<section>
    make: Callable[[], Plugin]


def _lavasrc() -> Plugin:
    # Imported by name, when chosen: lavalink_py.bundled sits above the plugin layer (pyproject's layers).
    made: Plugin = importlib.import_module("lavalink_py.bundled.lavasrc").plugin()
    return made


BUNDLED = (
    Bundled("com.github.topi314.lavasrc:lavasrc-plugin", "lavasrc", _lavasrc),
    Bundled("com.github.topi314.lavasearch:lavasearch-plugin", "lavasearch", LavaSearchPlugin),
    Bundled("com.github.topi314.lavalyrics:lavalyrics-plugin", "lavalyrics", LavaLyricsPlugin),
    Bundled("com.github.topi314.sponsorblock:sponsorblock-plugin", "sponsorblock", SponsorBlockPlugin),
)
