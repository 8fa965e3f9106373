"""Plugins: the API a plugin sees (`api.py`), where plugins come from (`loader.py`; `bundled.py` for the plugins
shipped in lavalink_py/bundled), and what stands in for Lavalink's JVM plugins (`jvm.py`, `youtube.py`). See
docs/plugins.md.

Exceptions:
    PluginLoadError(Exception)    a plugin could not be imported or set up; names it. Start-up stops, exit 2.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from lavalink_py.config import ConfigError, Settings
from lavalink_py.metrics.counters import FallbackStats
from lavalink_py.plugins.builtin import CatchAllSources, SiteSources
from lavalink_py.plugins.bundled import BUNDLED
from lavalink_py.plugins.collectors import load_custom_collectors, load_entry_point_collectors
from lavalink_py.plugins.context import (
    LoadedPlugin,
    PluginInfoLoader,
    Registrations,
    track_with_plugin_info,
    with_plugin_info,
)
from lavalink_py.plugins.errors import PluginLoadError
from lavalink_py.plugins.jvm import declared_plugin_lines, stands_in
from lavalink_py.plugins.loader import (
    Candidate,
    enabled,
    entry_point_candidates,
    folder_candidates,
    load_plugins,
    set_up,
)
from lavalink_py.plugins.youtube import YoutubeOptions, youtube_options
from lavalink_py.sources.routing.outbound import Outbound

__all__ = [
    "LoadedPlugin",
    "PluginInfoLoader",
    "PluginLoadError",
    "Registrations",
    "build_plugins",
    "track_with_plugin_info",
    "with_plugin_info",
]

log = logging.getLogger(__name__)

YOUTUBE_PLUGIN = "dev.lavalink.youtube:youtube-plugin"


def _youtube(settings: Settings) -> YoutubeOptions | None:
    section = settings.plugins.get("youtube")
    declared = stands_in(settings.lavalink.plugins, YOUTUBE_PLUGIN)
    if section is None and not declared:
        return None
    if section is not None and not isinstance(section, Mapping):
        raise PluginLoadError(f"plugins.youtube: expected a mapping of settings, got {section!r}")
    try:
        options, warnings = youtube_options(section or {})
    except ConfigError as exc:
        raise PluginLoadError(f"plugin youtube (the yt-dlp YouTube source): configuration refused: {exc}") from exc
    for warning in warnings:
        log.warning("%s", warning)
    return options


def _set_up_bundled(settings: Settings, out: Registrations) -> None:
    config: Mapping[str, Any] = settings.plugins
    for bundled in BUNDLED:
        wanted = bundled.section in config or stands_in(settings.lavalink.plugins, bundled.artifact)
        if not wanted:
            continue
        if not enabled(config, bundled.section):
            log.info("bundled plugin for %s disabled by plugins.%s.enabled", bundled.artifact, bundled.section)
            continue
        plugin = bundled.make()
        if any(p.name == plugin.name for p in out.plugins):
            log.info("plugin %s is loaded already; the bundled one is not", plugin.name)
            continue
        set_up(plugin, config, out, origin=f"bundled, stands in for {bundled.artifact}")


def build_plugins(
    settings: Settings,
    executor: Executor,
    *,
    candidates: list[Candidate] | None = None,
    outbound: Outbound | None = None,
    fallback: FallbackStats | None = None,
) -> Registrations:
    """Set up the built-in sources and every plugin found (folder, then entry points, then the bundled plugins the
    config asks for), and the `metrics.custom` and entry-point collectors, into one Registrations.

    `candidates` replaces discovery of folder and entry-point plugins and collectors (tests); `outbound` (the route
    planner) carries the built-in sources' requests and plugins' `PluginContext.http`; `fallback`: the node's
    counters that mirror sources bump. Raises PluginLoadError naming the plugin that failed.
    """
    for line in declared_plugin_lines(settings.lavalink.plugins):
        log.info("%s", line)
    config: Mapping[str, Any] = settings.plugins
    out = Registrations(fallback=FallbackStats() if fallback is None else fallback, outbound=outbound or Outbound())
    set_up(SiteSources(settings, executor, _youtube(settings), outbound), config, out, origin="built in", listed=False)
    discover = candidates is None
    if candidates is None:
        candidates = folder_candidates(Path(settings.lavalink.plugins_dir)) + entry_point_candidates()
    load_plugins(candidates, config, out)
    _set_up_bundled(settings, out)
    # Collectors without a plugin fail start-up as a plugin does.
    load_custom_collectors(settings, out)
    if discover:
        load_entry_point_collectors(settings, out)
    set_up(CatchAllSources(settings, executor, outbound), config, out, origin="built in", listed=False)
    loaded = out.config_sections | {"youtube"}
    for name in sorted(set(config) - loaded):
        log.warning("plugins.%s: no plugin named %s is loaded; its settings are ignored", name, name)
    return out
