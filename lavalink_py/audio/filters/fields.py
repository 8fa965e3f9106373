"""Parsing a filter object of numeric fields with Lavalink's defaults and ranges (shared by the built-ins)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.validation import RequestError, check_number, expect_object

Check = Callable[[float], bool]


def any_number(_value: float) -> bool:
    return True


def unit(value: float) -> bool:
    return 0.0 <= value <= 1.0


def positive(value: float) -> bool:
    return value > 0.0


class Field:
    """One numeric field: its Lavalink default, the check its value must pass, and the range in words."""

    __slots__ = ("check", "default", "described")

    def __init__(self, default: float, check: Check = any_number, described: str = "any number") -> None:
        self.default = default
        self.check = check
        self.described = described


def parse_fields(value: Any, where: str, fields: Mapping[str, Field]) -> dict[str, float]:
    """Every field of `fields`, from `value` or its default; a missing or null field takes the default."""
    obj = expect_object(value, where)
    out: dict[str, float] = {}
    for key, spec in fields.items():
        raw = obj.get(key)
        number = spec.default if raw is None else check_number(raw, f"{where}.{key}")
        if not spec.check(number):
            raise RequestError(f"{where}.{key}: expected a number {spec.described}, got {raw}")
        out[key] = number
    return out


@dataclass(frozen=True, slots=True)
class Values:
    """A filter's parsed fields, frozen (hashable, comparable), in the order Lavalink echoes them."""

    items: tuple[tuple[str, float], ...]

    def __getitem__(self, key: str) -> float:
        for name, value in self.items:
            if name == key:
                return value
        raise KeyError(key)

    def is_default(self, fields: Mapping[str, Field]) -> bool:
        return all(value == fields[name].default for name, value in self.items)


class FieldFilter:
    """A filter whose JSON is an object of numeric fields; subclasses set `name`, `fields` and the DSP."""

    name: str
    fields: Mapping[str, Field]

    def parse(self, value: Any, where: str) -> Values:
        return Values(tuple(parse_fields(value, where, self.fields).items()))

    def to_json(self, params: Values) -> Any:
        return dict(params.items)
