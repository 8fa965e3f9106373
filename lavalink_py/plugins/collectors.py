"""`metrics.custom`: collectors named by their class path in the config, loaded beside the plugins and failing as a
plugin does. One that cannot be imported or built stops start-up (exit 2, named: PluginLoadError) unless
`metrics.collectors.<name>.enabled: false` (`<name>`: the class's name in lower case), in which case it is not even
imported. Loaded ones join the plugins' collectors: registered through the node's guarded registry, run off the
event loop, a failing scrape skipped and counted (docs/metrics.md)."""

from __future__ import annotations

import logging

from lavalink_py.config import Settings
from lavalink_py.metrics.loading import CollectorLoadError, load_dotted
from lavalink_py.plugins.context import Registrations
from lavalink_py.plugins.errors import PluginLoadError

log = logging.getLogger(__name__)


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
        if loaded.name in out.collectors:
            raise PluginLoadError(f"collector {loaded.name} ({origin}): a collector of that name is already "
                                  f"registered by {out.collector_owners[loaded.name]}")
        out.collectors[loaded.name] = loaded.collector
        out.collector_owners[loaded.name] = origin
