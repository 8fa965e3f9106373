"""Reading client JSON into typed values.

Exceptions:
    RequestError(ValueError): the client's request is malformed; its message names the field and what was expected.
    The API answers it with 400 in Lavalink's error body.

`OMITTED` marks a field that was absent, so that `null` (an explicit instruction, e.g. "stop the track") stays
distinct from "leave as it is" (Lavalink's `Omissible`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from typing import Any, Final, TypeVar

T = TypeVar("T")


class RequestError(ValueError):
    """The request is malformed: the message says which field and what was expected."""


class Omitted(enum.Enum):
    OMITTED = "OMITTED"

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Final = Omitted.OMITTED

JSON_INT_MAX = 2**63 - 1
# Discord ids are snowflakes: unsigned 64-bit integers, written as decimal strings.
SNOWFLAKE_MAX = 2**64 - 1


def parse_snowflake(raw: str, maximum: int = SNOWFLAKE_MAX, minimum: int = 1) -> int | None:
    """The id in `raw` (ASCII decimal digits only, `minimum` to `maximum`), else None.

    `str.isdigit` alone is not enough: it accepts digits of other scripts and superscripts, some of which `int`
    reads and some of which it refuses."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def expect_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(f"{where}: expected a JSON object, got {type_name(value)}")
    return value


def get_bool(obj: Mapping[str, Any], key: str, where: str) -> bool | Omitted:
    if key not in obj:
        return OMITTED
    value = obj[key]
    if not isinstance(value, bool):
        raise RequestError(f"{where}{key}: expected a boolean, got {type_name(value)}")
    return value


def get_int(
    obj: Mapping[str, Any], key: str, where: str, *, minimum: int = -JSON_INT_MAX, maximum: int = JSON_INT_MAX
) -> int | Omitted:
    if key not in obj:
        return OMITTED
    return check_int(obj[key], f"{where}{key}", minimum=minimum, maximum=maximum)


def check_int(value: Any, path: str, *, minimum: int = -JSON_INT_MAX, maximum: int = JSON_INT_MAX) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{path}: expected an integer, got {type_name(value)}")
    if not minimum <= value <= maximum:
        raise RequestError(f"{path}: expected an integer from {minimum} to {maximum}, got {value}")
    return value


def check_number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"{path}: expected a number, got {type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise RequestError(f"{path}: expected a finite number, got {value}")
    return number


def get_str(obj: Mapping[str, Any], key: str, where: str, *, nullable: bool = False) -> str | Omitted | None:
    if key not in obj:
        return OMITTED
    value = obj[key]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        expected = "a string or null" if nullable else "a string"
        raise RequestError(f"{where}{key}: expected {expected}, got {type_name(value)}")
    return value


def type_name(value: Any) -> str:
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "an array"
        case dict():
            return "an object"
        case _:
            return type(value).__name__
