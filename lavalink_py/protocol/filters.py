"""Lavalink's Filters object: parsed and validated from a PATCH body, echoed back in the Player object.

Which filters exist is not known here: the node's filter registry (`audio/filters/registry.py`) is passed in as a
`FilterCatalog`, and each filter parses and echoes its own value (built-ins and plugins alike). This module only
knows the shape of the object:

- A PATCH replaces the whole set. A filter given as `null` is the same as not given (Lavalink's
  `ifPresentAndNotNull`). Unknown top-level keys are ignored, as Lavalink's JSON mapper does (`ignoreUnknownKeys`).
- Echoed filters carry every field, defaults included (Lavalink 4.1+ `@EncodeDefault`).
- `pluginFilters` entries go to the filter registered under that name. An entry no filter claims is dropped, as
  Lavalink's `FilterChain.parsePluginConfigs` keeps only names an `AudioFilterExtension` answers to (and echoes
  only those); its name still counts for the disabled-filter check, which Lavalink runs on the raw request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from lavalink_py.protocol.validation import expect_object


class FilterParser(Protocol):
    """What parsing needs of one filter (the audio layer's `FilterSpec` is one)."""

    @property
    def name(self) -> str: ...

    def parse(self, value: Any, where: str) -> Any: ...

    def to_json(self, params: Any) -> Any: ...

    def is_neutral(self, params: Any) -> bool: ...


class FilterCatalog(Protocol):
    """The node's filters: built-ins are keys of `filters`, plugin filters keys of `filters.pluginFilters`."""

    def builtins(self) -> Sequence[FilterParser]: ...

    def plugin(self, name: str) -> FilterParser | None: ...


@dataclass(frozen=True, slots=True)
class FilterSetting:
    """One filter's validated value: the params its parser made (frozen), their echo, whether they change nothing."""

    name: str
    params: Any
    json: Any
    neutral: bool


@dataclass(frozen=True, slots=True)
class Filters:
    """The player's filter set, in the registry's order (Lavalink's chain order), then plugin filters."""

    builtin: tuple[FilterSetting, ...] = ()
    plugin: tuple[FilterSetting, ...] = ()
    requested_plugins: tuple[str, ...] = ()  # every pluginFilters key sent, claimed or not

    def names(self) -> list[str]:
        """Filters named by the request (for the disabled-filter check, as Lavalink's `Filters.validate`)."""
        return [setting.name for setting in self.builtin] + list(self.requested_plugins)

    @property
    def settings(self) -> tuple[FilterSetting, ...]:
        return self.builtin + self.plugin

    @property
    def is_active(self) -> bool:
        """Whether any filter alters the audio (decides Opus passthrough)."""
        return any(not setting.neutral for setting in self.settings)


NO_FILTERS: Final = Filters()


def parse_filters(value: Any, catalog: FilterCatalog, where: str = "filters") -> Filters:
    obj = expect_object(value, where)
    builtin = tuple(
        _setting(spec, obj[spec.name], f"{where}.{spec.name}")
        for spec in catalog.builtins()
        if obj.get(spec.name) is not None
    )
    # Lavalink's `pluginFilters: Map<String, JsonElement>` is not nullable: anything but an object is a 400
    # (kotlinx refuses [], 0, "", false and null alike), never "no plugin filters".
    plugins = expect_object(obj.get("pluginFilters", {}), f"{where}.pluginFilters")
    claimed: list[FilterSetting] = []
    for name, raw in plugins.items():
        spec = catalog.plugin(name)
        if spec is not None:
            claimed.append(_setting(spec, raw, f"{where}.pluginFilters.{name}"))
    return Filters(builtin, tuple(claimed), tuple(plugins))


def _setting(spec: FilterParser, raw: Any, where: str) -> FilterSetting:
    params = spec.parse(raw, where)
    return FilterSetting(spec.name, params, spec.to_json(params), spec.is_neutral(params))


def filters_json(filters: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {setting.name: setting.json for setting in filters.builtin}
    if filters.plugin:
        out["pluginFilters"] = {setting.name: setting.json for setting in filters.plugin}
    return out
