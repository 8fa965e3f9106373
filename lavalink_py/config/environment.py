"""Environment overrides, matched the way Spring Boot's relaxed binding matches them.

A variable names a key when, ignoring case and underscores, it spells the key path with dots and dashes removed:
SERVER_PORT -> server.port; LAVALINK_SERVER_BUFFERDURATIONMS (Spring's form) and
LAVALINK_SERVER_BUFFER_DURATION_MS (the form Lavalink's docs list) -> lavalink.server.bufferDurationMs.
Mappings of names take the rest of the variable as the name: LOGGING_LEVEL_ORG_EXAMPLE -> logging.level
"org.example", METRICS_LABELS_DATACENTER -> metrics.labels "datacenter". Lists of sections take an index:
LAVALINK_PLUGINS_0_DEPENDENCY. Variables that name no key are ignored: the environment holds PATH and friends.
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
    lists: dict[str, tuple[FieldPath, str, type]]  # "LAVALINKPLUGINS" -> (path, display path, item class)


def _walk(cls: type, path: FieldPath, env: str, display: str, targets: _Targets) -> None:
    hints = type_hints(cls)
    for field in dataclasses.fields(cls):
        tp, fpath = hints[field.name], (*path, field.name)
        fenv, fdisplay = env + canonical(yaml_key(field)).upper(), f"{display}{yaml_key(field)}"
        if (section := section_of(tp)) is not None:
            _walk(section[0], fpath, fenv, fdisplay + ".", targets)
        elif keyed_mapping_value(tp) is not None:
            targets.mappings[fenv] = (fpath, field.metadata.get("env_key_sep", "_"))
        elif (item := section_of(tuple_item(tp))) is not None:
            targets.lists[fenv] = (fpath, fdisplay, item[0])
        elif not is_free_form(tp):  # per-plugin data has no schema to match variables against
            if fenv in targets.leaves:
                raise AssertionError(f"{fdisplay}: environment name {fenv} is ambiguous")  # a settings.py bug
            targets.leaves[fenv] = fpath


@functools.cache
def targets_for(cls: type) -> _Targets:
    targets = _Targets({}, {}, {})
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
            head, rest = "".join(parts[:cut]), parts[cut:]
            if head in targets.mappings:
                path, sep = targets.mappings[head]
                entry = out.entries.setdefault(path, Entry({}, var))
                assert isinstance(entry.value, dict)
                entry.value[sep.join(rest).lower()] = Entry(text, var)
                break
            if head in targets.lists and len(rest) > 1 and rest[0].isdigit():
                _set_list_item(out, targets.lists[head], int(rest[0]), "".join(rest[1:]), EnvValue(text, var))
                break


def _set_list_item(out: Collected, target: tuple[FieldPath, str, type], index: int, key: str, value: EnvValue) -> None:
    path, display, item_cls = target
    field = next((f for f in dataclasses.fields(item_cls) if canonical(yaml_key(f)).upper() == key), None)
    if field is None:
        return
    entry = out.entries.get(path)
    items: list[Any] = list(entry.value) if entry is not None and isinstance(entry.value, list) else []
    items += [{} for _ in range(index + 1 - len(items))]
    old = items[index] if isinstance(items[index], Mapping) else {}
    # Drop the YAML spelling of the same key (snapshot vs Snapshot) so the environment value is the one bound.
    item = {k: v for k, v in old.items() if canonical(str(k)) != canonical(yaml_key(field))}
    items[index] = {**item, yaml_key(field): value}
    out.entries[path] = Entry(items, entry.where if entry is not None else display)
