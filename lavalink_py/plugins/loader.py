"""Finds plugins and sets them up: the `plugins/` folder first, then the `lavalink_py.plugins` entry points.

A folder plugin is `<dir>/<name>.py` or a package `<dir>/<name>/__init__.py`; an entry point is named for the
plugin. Either gives a Plugin object, or a class or function that makes one when called with no arguments: the
module attribute `plugin` for a folder plugin, the entry point's target otherwise. `plugins.<name>.enabled: false`
skips a plugin before it is imported, so a broken one can be switched off. Anything else that goes wrong (import,
the object's shape, setup) raises PluginLoadError naming the plugin and where it came from.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from lavalink_py.config import ConfigError
from lavalink_py.config.binder import env_as_text
from lavalink_py.plugins.api import Plugin
from lavalink_py.plugins.context import LoadedPlugin, PluginSetup, Registrations
from lavalink_py.plugins.errors import PluginLoadError

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "lavalink_py.plugins"
FOLDER_MODULE_PREFIX = "lavalink_py_folder_plugins"


@dataclass(frozen=True, slots=True)
class Candidate:
    name: str
    origin: str  # where it came from, for messages: "plugins/echo.py", "entry point echo (pkg.mod:plugin)"
    load: Callable[[], object]


def folder_candidates(directory: Path) -> list[Candidate]:
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.suffix == ".py":
            found.append(Candidate(path.stem, str(path), _file_loader(path.stem, path)))
        elif path.is_dir() and (path / "__init__.py").is_file():
            found.append(Candidate(path.name, str(path), _file_loader(path.name, path / "__init__.py")))
    return found


def _file_loader(name: str, path: Path) -> Callable[[], object]:
    def load() -> object:
        module_name = f"{FOLDER_MODULE_PREFIX}.{name}"
        spec = importlib.util.spec_from_file_location(module_name, path, submodule_search_locations=(
            [str(path.parent)] if path.name == "__init__.py" else None))
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return _attribute(module, "plugin")

    return load


def _attribute(module: ModuleType, attr: str) -> object:
    if not hasattr(module, attr):
        raise AttributeError(f"{module.__name__} has no attribute {attr!r} (the plugin object or its factory)")
    return getattr(module, attr)


def entry_point_candidates() -> list[Candidate]:
    return [
        Candidate(ep.name, f"entry point {ep.name} ({ep.value})", ep.load)
        for ep in entry_points(group=ENTRY_POINT_GROUP)
    ]


def _instantiate(target: object) -> Plugin:
    plugin = target
    if isinstance(target, type) or (callable(target) and not callable(getattr(target, "setup", None))):
        plugin = target()  # a class or factory
    if not callable(getattr(plugin, "setup", None)):
        raise TypeError(f"{target!r} is not a plugin (an object with name, version and setup(context))")
    for attr in ("name", "version"):
        value = getattr(plugin, attr, None)
        if not isinstance(value, str) or not value:
            raise TypeError(f"the plugin's {attr} must be a non-empty string, got {value!r}")
    return plugin  # type: ignore[return-value]  # checked attribute by attribute above


def enabled(config: Mapping[str, Any], name: str) -> bool:
    section = config.get(name)
    if not isinstance(section, Mapping) or "enabled" not in section:
        return True
    value = env_as_text(section["enabled"])  # PLUGINS_<NAME>_ENABLED gives a string, as ${VAR} does
    if isinstance(value, str) and value.lower() in ("true", "false"):  # from ${VAR} placeholders
        value = value.lower() == "true"
    if not isinstance(value, bool):
        raise PluginLoadError(f"plugin {name}: plugins.{name}.enabled: expected true or false, got {value!r}")
    return value


def config_section(plugin: Plugin) -> str:
    """`plugins.<this>`: the plugin's optional `config_section`, else its name."""
    section = getattr(plugin, "config_section", None)
    return section if isinstance(section, str) and section else plugin.name


def set_up(plugin: Plugin, config: Mapping[str, Any], out: Registrations, *, origin: str, listed: bool = True
           ) -> None:
    """Run one plugin's setup with its own context; any failure is a PluginLoadError naming it."""
    where = config_section(plugin)
    section = config.get(where)
    if section is not None and not isinstance(section, Mapping):
        raise PluginLoadError(f"plugin {plugin.name}: plugins.{where}: expected a mapping of settings, "
                              f"got {section!r}")
    raw: Mapping[str, Any] = section if isinstance(section, Mapping) else {}
    try:
        plugin.setup(PluginSetup(plugin.name, raw, out, section=where))
    except PluginLoadError:
        raise
    except ConfigError as exc:
        raise PluginLoadError(f"plugin {plugin.name} ({origin}): configuration refused: {exc}") from exc
    except Exception as exc:
        raise PluginLoadError(
            f"plugin {plugin.name} ({origin}): setup failed: {type(exc).__name__}: {exc}"
        ) from exc
    out.plugins.append(LoadedPlugin(plugin.name, plugin.version, listed))
    out.config_sections.add(where)
    log.info("plugin %s %s loaded (%s)", plugin.name, plugin.version, origin)


def load_plugins(candidates: list[Candidate], config: Mapping[str, Any], out: Registrations) -> None:
    seen: dict[str, str] = {}
    for candidate in candidates:
        if not enabled(config, candidate.name):
            log.info("plugin %s (%s) disabled by plugins.%s.enabled", candidate.name, candidate.origin,
                     candidate.name)
            continue
        try:
            plugin = _instantiate(candidate.load())
        except Exception as exc:
            raise PluginLoadError(
                f"plugin {candidate.name} ({candidate.origin}) failed to load: {type(exc).__name__}: {exc}"
            ) from exc
        if plugin.name in seen:
            raise PluginLoadError(
                f"plugin {plugin.name}: found twice, {seen[plugin.name]} and {candidate.origin}; remove one"
            )
        seen[plugin.name] = candidate.origin
        if plugin.name != candidate.name and not enabled(config, plugin.name):
            log.info("plugin %s disabled by plugins.%s.enabled", plugin.name, plugin.name)
            continue
        set_up(plugin, config, out, origin=candidate.origin)
