"""The plugins shipped inside lavalink_py (`lavalink_py/bundled/`), loaded through the same loader and API as any
other plugin, but only when the config asks for them: a `plugins.<name>` block, or the JVM plugin they stand in for
declared in `lavalink.plugins`. Otherwise they are not imported and not listed in /v4/info.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from lavalink_py.config import Settings
from lavalink_py.plugins.jvm import stands_in
from lavalink_py.plugins.loader import Candidate

# plugin name -> (its module, the lavalink.plugins artifact it stands in for)
BUNDLED = {
    "lavasrc": ("lavalink_py.bundled.lavasrc", "com.github.topi314.lavasrc:lavasrc-plugin"),
}


def _module_plugin(module: str) -> Callable[[], object]:
    # Imported by name, when chosen: the bundled package sits above this one in the layers.
    def load() -> object:
        return importlib.import_module(module).plugin

    return load


def bundled_candidates(settings: Settings) -> list[Candidate]:
    return [
        Candidate(name, f"bundled ({module})", _module_plugin(module))
        for name, (module, artifact) in BUNDLED.items()
        if name in settings.plugins or stands_in(settings.lavalink.plugins, artifact)
    ]
