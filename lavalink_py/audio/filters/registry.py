"""The node's filter registry: the built-in filters and those plugins add, by name.

The app builds one (`default_registry()` registers the built-ins in Lavalink's chain order) and hands it to the
audio engine; plugins call `register(spec, plugin=True)`. It parses PATCH bodies (as the protocol layer's
`FilterCatalog`), lists names for `/v4/info`, and turns a player's `Filters` into the `FilterPlan` its stream runs.
"""

from __future__ import annotations

from typing import Any

from lavalink_py.audio.filters.base import FilterSpec
from lavalink_py.audio.filters.chain import FilterPlan
from lavalink_py.protocol.filters import Filters


class FilterRegistry:
    def __init__(self) -> None:
        self._builtin: dict[str, FilterSpec[Any]] = {}
        self._plugin: dict[str, FilterSpec[Any]] = {}

    def register(self, spec: FilterSpec[Any], *, plugin: bool = False) -> None:
        """Add a filter; built-ins run in registration order, then plugin filters in the order a request names them."""
        name = spec.name
        if name in self._builtin or name in self._plugin or name == "pluginFilters":
            raise ValueError(f"a filter named {name!r} is already registered")
        (self._plugin if plugin else self._builtin)[name] = spec

    def names(self) -> list[str]:
        """What `/v4/info` lists under `filters` (before the config's disabled ones are taken out)."""
        return list(self._builtin) + list(self._plugin)

    def builtins(self) -> list[FilterSpec[Any]]:
        return list(self._builtin.values())

    def plugin(self, name: str) -> FilterSpec[Any] | None:
        return self._plugin.get(name)

    def plan(self, filters: Filters) -> FilterPlan | None:
        """The DSP for a filter set; None when every filter is neutral (the stream may pass Opus through)."""
        stages = []
        for setting in filters.settings:
            if setting.neutral:
                continue
            spec = self._builtin.get(setting.name) or self._plugin.get(setting.name)
            if spec is None:
                continue  # parsed by a registry that knew it; this one does not (cannot happen within one node)
            stages.append(spec.stage(setting.params))
        return FilterPlan(tuple(stages)) if stages else None
