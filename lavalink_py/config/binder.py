"""Binds raw YAML data onto the settings dataclasses, Spring style, in two passes.

1. collect: walk the YAML mapping beside the dataclass fields. Keys match in relaxed form (bufferDurationMs,
   buffer-duration-ms, buffer_duration_ms) and dotted keys count as nested (`server.port: 1` at the top level).
   Every leaf value lands in `Collected.entries` under its field path with the key path as the user wrote it;
   unknown keys become warnings; `${VAR:default}` placeholders are resolved here.
   (The environment then overwrites entries: see environment.py.)
2. build: construct the dataclasses bottom-up, converting each entry by its field's annotation; absent entries
   keep the field default, absent optional sections stay None.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal

from lavalink_py.config.errors import ConfigError
from lavalink_py.config.schema import ByteSize, canonical, yaml_key
from lavalink_py.config.values import fail, to_bool, to_byte_size, to_choice, to_float, to_int, to_str

FieldPath = tuple[str, ...]
_PLACEHOLDER = re.compile(r"\$\{([^}:]*)(?::([^}]*))?\}")


@dataclasses.dataclass(slots=True)
class Entry:
    value: object
    where: str  # key path as written, or the environment variable that set it


@dataclasses.dataclass(frozen=True, slots=True)
class EnvValue:
    """An environment value placed inside a raw list or named item (LAVALINK_PLUGINS_0_DEPENDENCY)."""

    text: str
    var: str


def env_as_text(value: object) -> object:
    """`value` with each EnvValue (an environment override inside free-form data, `plugins`) as its text: the
    section as a plugin that reads it raw sees it."""
    if isinstance(value, EnvValue):
        return value.text
    if isinstance(value, Mapping):
        return {k: env_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [env_as_text(v) for v in value]
    return value


@dataclasses.dataclass(slots=True)
class Collected:
    entries: dict[FieldPath, Entry] = dataclasses.field(default_factory=dict)
    sections: set[FieldPath] = dataclasses.field(default_factory=set)
    where: dict[FieldPath, str] = dataclasses.field(default_factory=dict)

    def mentions(self, path: FieldPath) -> bool:
        n = len(path)
        return path in self.sections or any(key[:n] == path for key in self.entries)


@functools.cache
def field_index(cls: type) -> dict[str, dataclasses.Field[Any]]:
    return {canonical(yaml_key(f)): f for f in dataclasses.fields(cls)}


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def section_of(tp: Any) -> tuple[type, bool] | None:
    """(dataclass, optional) when the annotation is a settings section, else None."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return tp, False
    args = typing.get_args(tp)
    if isinstance(tp, types.UnionType) and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        if dataclasses.is_dataclass(inner) and isinstance(inner, type):
            return inner, True
    return None


def keyed_mapping_value(tp: Any) -> Any | None:
    """The X of a `Mapping[str, X]` keyed by names (logger, label, collector); None for anything else."""
    if typing.get_origin(tp) is Mapping and typing.get_args(tp)[1] is not Any:
        return typing.get_args(tp)[1]
    return None


def is_free_form(tp: Any) -> bool:
    return typing.get_origin(tp) is Mapping and typing.get_args(tp)[1] is Any


def tuple_item(tp: Any) -> Any | None:
    return typing.get_args(tp)[0] if typing.get_origin(tp) is tuple else None


def _flatten(value: Mapping[Any, Any], where: str) -> list[tuple[str, object, str]]:
    """Nested names join with dots, as Spring reads `level: {org: {example: DEBUG}}` as org.example."""
    items: list[tuple[str, object, str]] = []
    for key, item in value.items():
        if isinstance(item, Mapping):
            items += [(f"{key}.{name}", v, w) for name, v, w in _flatten(item, f"{where}.{key}")]
        else:
            items.append((str(key), item, f"{where}.{key}"))
    return items


def _joined_field(index: Mapping[str, dataclasses.Field[Any]], key: str
                  ) -> tuple[str, str, dataclasses.Field[Any] | None]:
    """The field the first dotted parts of `key` spell together (shortest first), and the parts left."""
    parts = key.split(".")
    for cut in range(2, len(parts) + 1):
        field = index.get(canonical("".join(parts[:cut])))
        if field is not None:
            return ".".join(parts[:cut]), ".".join(parts[cut:]), field
    return key.partition(".")[0], key.partition(".")[2], None


class Binder:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.warnings: list[str] = []

    def resolve(self, value: object, where: str) -> object:
        if isinstance(value, str):
            return _PLACEHOLDER.sub(lambda m: self._placeholder(m, where), value)
        if isinstance(value, list):
            return [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, Mapping):
            return {str(k): self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return value

    def _placeholder(self, match: re.Match[str], where: str) -> str:
        name, default = match[1].strip(), match[2]
        if name in self.environ:
            return self.environ[name]
        if default is None:
            raise ConfigError(f"{where}: {match[0]} needs environment variable {name!r}, which is not set")
        return default

    def collect(self, cls: type, raw: Mapping[Any, Any], path: FieldPath, prefix: str, out: Collected) -> None:
        index, hints = field_index(cls), type_hints(cls)
        for raw_key, raw_value in raw.items():
            key = str(raw_key)
            head, dot, rest = key.partition(".")
            field = index.get(canonical(head))
            if field is None and dot:  # `client.id` (an environment name's parts) for `clientId`
                head, rest, field = _joined_field(index, key)
                dot = "." if rest else ""
            if field is None:
                self.warnings.append(f"{prefix}{key}: unknown key, ignored")
                continue
            value: object = {rest: raw_value} if dot else raw_value
            where, fpath, tp = prefix + head, (*path, field.name), hints[field.name]
            if isinstance(value, EnvValue):
                out.entries[fpath] = Entry(value.text, value.var)
            elif (section := section_of(tp)) is not None:
                self._collect_section(section[0], value, fpath, where, out)
            elif keyed_mapping_value(tp) is not None and value is not None:
                self._collect_named(tp, value, fpath, where, out)
            else:
                out.entries[fpath] = Entry(self.resolve(value, where), where)

    def _collect_named(self, tp: Any, value: object, fpath: FieldPath, where: str, out: Collected) -> None:
        """Mappings keyed by names: `{name: value}` (logging.level) or `{name: {section}}` (metrics.collectors)."""
        if not isinstance(value, Mapping):
            fail(where, "a mapping of names to values", value)
        entry = out.entries.setdefault(fpath, Entry({}, where))
        assert isinstance(entry.value, dict)
        if section_of(keyed_mapping_value(tp)) is None:
            for name, item, item_where in _flatten(value, where):
                entry.value[name] = Entry(self.resolve(item, item_where), item_where)
            return
        for key, item in value.items():
            name, dot, rest = str(key).partition(".")
            item_value = {rest: item} if dot else item
            old = entry.value.get(name)
            if old is not None and isinstance(old.value, Mapping) and isinstance(item_value, Mapping):
                item_value = {**old.value, **item_value}  # `system: {...}` and `system.enabled:` both given
            entry.value[name] = Entry(item_value, f"{where}.{name}")

    def _collect_section(self, cls: type, value: object, fpath: FieldPath, where: str, out: Collected) -> None:
        if value is None:  # `ratelimit:` with every child commented out, as in Lavalink's example
            return
        if not isinstance(value, Mapping):
            fail(where, "a mapping of settings", value)
        out.sections.add(fpath)
        out.where.setdefault(fpath, where)
        self.collect(cls, value, fpath, where + ".", out)

    def build(self, cls: type, path: FieldPath, out: Collected, prefix: str) -> Any:
        kwargs: dict[str, Any] = {}
        hints = type_hints(cls)
        for field in dataclasses.fields(cls):
            tp, fpath = hints[field.name], (*path, field.name)
            where = out.where.get(fpath, prefix + yaml_key(field))
            if (section := section_of(tp)) is not None:
                if not section[1] or out.mentions(fpath):
                    kwargs[field.name] = self.build(section[0], fpath, out, where + ".")
                continue
            entry = out.entries.get(fpath)
            if entry is None or entry.value is None:
                if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                    raise ConfigError(f"{where}: required")
                continue
            kwargs[field.name] = self.convert_field(tp, entry, field.metadata)
        return cls(**kwargs)

    def convert_field(self, tp: Any, entry: Entry, meta: Mapping[str, Any]) -> Any:
        value_type = keyed_mapping_value(tp)
        if value_type is None:
            return self.convert(tp, entry.value, entry.where, meta)
        assert isinstance(entry.value, dict)
        result: dict[str, Any] = {}
        for name, item in entry.value.items():
            if meta.get("names") and (expected := meta["names"](name)):
                fail(item.where, expected, name)
            if (section := section_of(value_type)) is not None:
                result[name] = self._bind_item(section[0], item.value, item.where)
            else:
                result[name] = self.convert(value_type, item.value, item.where, {})
        return types.MappingProxyType(result)

    def convert(self, tp: Any, value: object, where: str, meta: Mapping[str, Any]) -> Any:
        if value is None and type(None) in typing.get_args(tp):
            return None
        result = self._convert(tp, value, where, meta)
        if meta.get("check") and result is not None and (expected := meta["check"](result)):
            fail(where, expected, value)
        return result

    def _convert(self, tp: Any, value: object, where: str, meta: Mapping[str, Any]) -> Any:
        if tp is bool:
            return to_bool(value, where)
        if tp is int:
            return to_int(value, where, meta)
        if tp is float:
            return to_float(value, where, meta)
        if tp is str:
            return to_str(value, where)
        if tp is ByteSize:
            return ByteSize(to_byte_size(value, where, meta))
        if typing.get_origin(tp) is Literal:
            return to_choice(value, typing.get_args(tp), where)
        if isinstance(tp, types.UnionType):  # `X | None` with a value present
            inner = next(arg for arg in typing.get_args(tp) if arg is not type(None))
            return self._convert(inner, value, where, meta)
        if (item_type := tuple_item(tp)) is not None:
            return self._convert_list(item_type, value, where, meta)
        if is_free_form(tp):
            if not isinstance(value, Mapping):
                fail(where, "a mapping", value)
            return types.MappingProxyType(dict(value))
        raise TypeError(f"{where}: no conversion for settings type {tp!r}")  # a bug in settings.py

    def _convert_list(self, item_type: Any, value: object, where: str, meta: Mapping[str, Any]) -> tuple[Any, ...]:
        if isinstance(value, str) and item_type is str:  # Spring splits "a, b" (and env values) on commas
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            fail(where, "a list", value)
        items: list[Any] = []
        for i, item in enumerate(value):
            item_where = f"{where}[{i}]"
            if (section := section_of(item_type)) is not None:
                items.append(self._bind_item(section[0], item, item_where))
                continue
            converted = self._convert(item_type, item, item_where, {})
            if meta.get("each") and (expected := meta["each"](converted)):
                fail(item_where, expected, item)
            items.append(converted)
        return tuple(items)

    def _bind_item(self, cls: type, item: object, where: str) -> Any:
        if item is None:  # `system:` with nothing under it
            item = {}
        if not isinstance(item, Mapping):
            fail(where, "a mapping of settings", item)
        local = Collected()
        self.collect(cls, item, (), where + ".", local)
        return self.build(cls, (), local, where + ".")
