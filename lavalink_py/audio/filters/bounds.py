"""Numeric fields of the filters beyond Lavalink: a default, an inclusive range, and the range in words.

Lavalink's own filters accept most numbers unchecked; these map onto FFmpeg options that refuse values outside
their ranges (the graph would fail to configure mid-stream), so every field is bounded here and a bad value is a
`RequestError` naming the field, before anything changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.validation import RequestError, check_number, expect_object


@dataclass(frozen=True, slots=True)
class Bounded:
    default: float
    low: float
    high: float

    def read(self, obj: Mapping[str, Any], key: str, where: str) -> float:
        raw = obj.get(key)
        if raw is None:
            return self.default
        number = check_number(raw, f"{where}.{key}")
        if not self.low <= number <= self.high:
            raise RequestError(f"{where}.{key}: expected a number from {self.low} to {self.high}, got {raw}")
        return number


def read_fields(value: Any, where: str, fields: Mapping[str, Bounded]) -> dict[str, float]:
    """Every field of `fields`, from `value` or its default (a missing or null field takes the default)."""
    obj = expect_object(value, where)
    return {key: bounded.read(obj, key, where) for key, bounded in fields.items()}


def db_to_linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))
