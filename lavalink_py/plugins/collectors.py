"""Collectors that come without a plugin, loaded beside the plugins and failing as a plugin does: `metrics.custom`
(class paths in the config) and the `lavalink_py.collectors` entry-point group (installed packages). One that
cannot be imported or built stops start-up (exit 2, named: PluginLoadError) unless
`metrics.collectors.<name>.enabled: false` (`<name>`: the class's name in lower case for a path, the entry point's
name), in which case it is not even imported. Loaded ones join the plugins' collectors: registered through the
node's guarded registry, run off the event loop, a failing scrape skipped and counted (docs/metrics.md)."""

from __future__ import annotations

import logging
from importlib.metadata import entry_points

from lavalink_py.config import Settings
from lavalink_py.metrics.loading import CollectorLoadError, LoadedCollector, build_collector, load_dotted
from lavalink_py.plugins.context import Registrations
from lavalink_py.plugins.errors import PluginLoadError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "lavalink_py.collectors"


def name_of(path: str) -> str:
    """The collector's name before it is imported: the class in `pkg.mod:Class` / `pkg.mod.Class`, lower case (the
    name load_dotted gives it unless the collector names itself)."""
    return path.rpartition(":")[2].rpartition(".")[2].lower() if ":" in path else path.rpartition(".")[2].lower()


def load_custom_collectors(settings: Settings, out: Registrations) -> None:
    metrics = settings.metrics
    for index, path in enumerate(metrics.custom):
        origin = f"metrics.custom[{index}] ({path})"
        name = name_of(path)
        if not metrics.collector(name).enabled:
            log.info("collector %s (%s) disabled by metrics.collectors.%s.enabled; not imported", name, origin, name)
            continue
        try:
            loaded = load_dotted(path)
        except CollectorLoadError as exc:
            raise PluginLoadError(f"collector {name} ({origin}) failed to load: {exc}; set "
                                  f"metrics.collectors.{name}.enabled: false to start without it") from exc
        if loaded.name != name and not metrics.collector(loaded.name).enabled:
            log.info("collector %s (%s) disabled by metrics.collectors.%s.enabled", loaded.name, origin,
                     loaded.name)
            continue
        _register(loaded, origin, out)


def load_entry_point_collectors(settings: Settings, out: Registrations) -> None:
    metrics = settings.metrics
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {ep.name} ({ep.value})"
        if not metrics.collector(ep.name).enabled:
            log.info("collector %s (%s) disabled by metrics.collectors.%s.enabled; not imported", ep.name, origin,
                     ep.name)
            continue
        try:
            loaded = build_collector(ep.name, ep.load(), origin)
        except Exception as exc:  # a package's import or factory may raise anything
            raise PluginLoadError(f"collector {ep.name} ({origin}) failed to load: {exc}; set "
                                  f"metrics.collectors.{ep.name}.enabled: false to start without it") from exc
        _register(loaded, origin, out)


def _register(loaded: LoadedCollector, origin: str, out: Registrations) -> None:
    if loaded.name in out.collectors:
        raise PluginLoadError(f"collector {loaded.name} ({origin}): a collector of that name is already "
                              f"registered by {out.collector_owners[loaded.name]}")
    out.collectors[loaded.name] = loaded.collector
    out.collector_owners[loaded.name] = origin
