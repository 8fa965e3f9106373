"""Environment overrides, matched the way Spring Boot's relaxed binding matches them.

A variable names a key when, ignoring case and underscores, it spells the key path with dots and dashes removed:
SERVER_PORT -> server.port; LAVALINK_SERVER_BUFFERDURATIONMS (Spring's form) and
LAVALINK_SERVER_BUFFER_DURATION_MS (the form Lavalink's docs list) -> lavalink.server.bufferDurationMs.
Mappings of names take the rest of the variable as the name: LOGGING_LEVEL_ORG_EXAMPLE -> logging.level
"org.example", METRICS_LABELS_DATACENTER -> metrics.labels "datacenter"; mappings of sections end with a field:
METRICS_COLLECTORS_MY_DISK_ENABLED -> metrics.collectors "my_disk" enabled. Lists of sections take an index:
LAVALINK_PLUGINS_0_DEPENDENCY. Variables that name no key are ignored: the environment holds PATH and friends.
Free-form mappings (`plugins`, whose sections only their plugin can read) take the rest as Spring does, `_` for `.`:
PLUGINS_LAVASRC_SPOTIFY_CLIENTID -> plugins "lavasrc" key "spotify.clientid" (the section is the YAML one whose name
the variable spells, else its first word); the plugin's own binder then matches those parts to its fields
relaxed-ly (binder.py: `spotify.clientid` and `spotify.client.id` both reach `spotify.clientId`).
Values stay strings here; the binder converts them with the same checks as YAML values.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from lavalink_py.config.binder import (
    Collected,
    Entry,
    EnvValue,
    FieldPath,
    is_free_form,
    keyed_mapping_value,
    section_of,
    tuple_item,
    type_hints,
)
from lavalink_py.config.schema import canonical, yaml_key


@dataclasses.dataclass(frozen=True, slots=True)
class _Targets:
    leaves: dict[str, FieldPath]  # "SERVERPORT" -> ("server", "port")
    mappings: dict[str, tuple[FieldPath, str]]  # "LOGGINGLEVEL" -> (path, separator for the name)
    section_maps: dict[str, tuple[FieldPath, type]]  # "METRICSCOLLECTORS" -> (path, item class)
    lists: dict[str, tuple[FieldPath, str, type]]  # "LAVALINKPLUGINS" -> (path, display path, item class)
    free_forms: dict[str, FieldPath]  # "PLUGINS" -> ("plugins",)


def _walk(cls: type, path: FieldPath, env: str, display: str, targets: _Targets) -> None:
    hints = type_hints(cls)
    for field in dataclasses.fields(cls):
        tp, fpath = hints[field.name], (*path, field.name)
        fenv, fdisplay = env + canonical(yaml_key(field)).upper(), f"{display}{yaml_key(field)}"
        if (section := section_of(tp)) is not None:
            _walk(section[0], fpath, fenv, fdisplay + ".", targets)
        elif (named := section_of(keyed_mapping_value(tp))) is not None:
            targets.section_maps[fenv] = (fpath, named[0])
        elif keyed_mapping_value(tp) is not None:
            targets.mappings[fenv] = (fpath, field.metadata.get("env_key_sep", "_"))
        elif (item := section_of(tuple_item(tp))) is not None:
            targets.lists[fenv] = (fpath, fdisplay, item[0])
        elif is_free_form(tp):  # per-plugin data: no schema here; placed by name, bound by the plugin
            targets.free_forms[fenv] = fpath
        else:
            if fenv in targets.leaves:
                raise AssertionError(f"{fdisplay}: environment name {fenv} is ambiguous")  # a settings.py bug
            targets.leaves[fenv] = fpath


@functools.cache
def targets_for(cls: type) -> _Targets:
    targets = _Targets({}, {}, {}, {}, {})
    _walk(cls, (), "", "", targets)
    return targets


def apply_environment(cls: type, environ: Mapping[str, str], out: Collected) -> None:
    targets = targets_for(cls)
    for var in sorted(environ):
        name, text = var.upper(), environ[var]
        if (path := targets.leaves.get(name.replace("_", ""))) is not None:
            out.entries[path] = Entry(text, var)
            continue
        parts = [part for part in name.split("_") if part]
        for cut in range(1, len(parts)):
            if _apply_at(targets, "".join(parts[:cut]), parts[cut:], EnvValue(text, var), out):
                break


def _apply_at(targets: _Targets, head: str, rest: list[str], value: EnvValue, out: Collected) -> bool:
    if head in targets.free_forms:
        return _apply_free_form(targets.free_forms[head], rest, value, out)
    if head in targets.mappings:
        path, sep = targets.mappings[head]
        entry = out.entries.setdefault(path, Entry({}, value.var))
        assert isinstance(entry.value, dict)
        entry.value[sep.join(rest).lower()] = Entry(value.text, value.var)
        return True
    if head in targets.section_maps:
        path, item_cls = targets.section_maps[head]
        entry = out.entries.setdefault(path, Entry({}, value.var))
        assert isinstance(entry.value, dict)
        for split in range(1, len(rest)):
            if (field := _field_named(item_cls, "".join(rest[split:]))) is not None:
                name = "_".join(rest[:split]).lower()
                old = entry.value.get(name)
                item = _with_field(old.value if old is not None else None, field, value)
                entry.value[name] = Entry(item, old.where if old is not None else value.var)
                return True
        return False
    if head in targets.lists and len(rest) > 1 and rest[0].isdigit():
        path, display, item_cls = targets.lists[head]
        field = _field_named(item_cls, "".join(rest[1:]))
        if field is None:
            return False
        current, index = out.entries.get(path), int(rest[0])
        items: list[Any] = list(current.value) if current is not None and isinstance(current.value, list) else []
        items += [{} for _ in range(index + 1 - len(items))]
        items[index] = _with_field(items[index], field, value)
        out.entries[path] = Entry(items, current.where if current is not None else display)
        return True
    return False


def _apply_free_form(path: FieldPath, rest: list[str], value: EnvValue, out: Collected) -> bool:
    """Into `{section: {"dotted.key": EnvValue}}`: the section a YAML one if the variable spells its name (longest
    first), else the variable's first word; what follows is the key, Spring's way (each `_` a `.`)."""
    old = out.entries.get(path)
    mapping = dict(old.value) if old is not None and isinstance(old.value, Mapping) else {}
    names = {canonical(str(k)).upper(): str(k) for k in mapping}
    section, keys = rest[0].lower(), rest[1:]
    for cut in range(len(rest) - 1, 0, -1):
        if "".join(rest[:cut]) in names:
            section, keys = names["".join(rest[:cut])], rest[cut:]
            break
    if not keys:
        return False
    current = mapping.get(section)
    mapping[section] = {**(current if isinstance(current, Mapping) else {}), ".".join(keys).lower(): value}
    out.entries[path] = Entry(mapping, old.where if old is not None else value.var)
    return True


def _field_named(cls: type, env_key: str) -> dataclasses.Field[Any] | None:
    return next((f for f in dataclasses.fields(cls) if canonical(yaml_key(f)).upper() == env_key), None)


def _with_field(raw_item: object, field: dataclasses.Field[Any], value: EnvValue) -> dict[Any, Any]:
    """The raw YAML item with the field set from the environment, its other spellings dropped so this one binds."""
    old = raw_item if isinstance(raw_item, Mapping) else {}
    item = {k: v for k, v in old.items() if canonical(str(k)) != canonical(yaml_key(field))}
    return {**item, yaml_key(field): value}
