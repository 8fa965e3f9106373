"""Scalar conversions shared by YAML and environment values (which arrive as strings).

Each converter takes the raw value and `where` (the key path or environment variable) and returns the typed
value or raises ConfigError("<where>: expected <what>, got <raw>").
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

from lavalink_py.config.errors import ConfigError

_TRUE = frozenset({"true", "on", "yes", "1"})
_FALSE = frozenset({"false", "off", "no", "0"})
_INT = re.compile(r"[+-]?\d+")
_SIZE = re.compile(r"(\d+)\s*(B|KB|MB|GB|TB)?", re.IGNORECASE)
_SIZE_UNITS = {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}


def fail(where: str, expected: str, got: object) -> NoReturn:
    raise ConfigError(f"{where}: expected {expected}, got {got!r}")


def to_bool(value: object, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    fail(where, "true or false", value)


def _bounds_text(noun: str, meta: Mapping[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"{noun} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{noun} {'>' if meta.get('lo_open') else '>='} {lo:g}"
    if hi is not None:
        return f"{noun} <= {hi:g}"
    return noun


def _in_bounds(number: float, meta: Mapping[str, Any]) -> bool:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and (number <= lo if meta.get("lo_open") else number < lo):
        return False
    return hi is None or number <= hi


def to_int(value: object, where: str, meta: Mapping[str, Any]) -> int:
    expected = _bounds_text("an integer", meta)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _INT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        fail(where, expected, value)
    if not _in_bounds(number, meta):
        fail(where, expected, value)
    return number


def to_float(value: object, where: str, meta: Mapping[str, Any]) -> float:
    expected = _bounds_text("a number", meta)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            fail(where, expected, value)
    else:
        fail(where, expected, value)
    if math.isnan(number) or not _in_bounds(number, meta):  # NaN passes every bound check
        fail(where, expected, value)
    return number


def to_str(value: object, where: str) -> str:
    # Spring turns an unquoted YAML number into text (password: 12345), so we do too.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    fail(where, "a string", value)


def to_choice(value: object, choices: tuple[str, ...], where: str) -> str:
    # Spring binds enums ignoring case; YAML reads a bare `off` as false (LogLevel OFF).
    text = "OFF" if value is False else value
    if isinstance(text, str):
        for choice in choices:
            if choice.lower() == text.strip().lower():
                return choice
    fail(where, "one of " + ", ".join(choices), value)


def to_byte_size(value: object, where: str, meta: Mapping[str, Any]) -> int:
    expected = "a size such as 10MB, 1GB, 512KB or a number of bytes"
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (match := _SIZE.fullmatch(value.strip())):
        number = int(match[1]) * _SIZE_UNITS[(match[2] or "B").upper()]
    else:
        fail(where, expected, value)
    if not _in_bounds(number, meta):
        fail(where, _bounds_text("a size", meta), value)
    return number
