"""How a settings field declares its YAML key, range and checks; the binder reads these.

A settings class is a frozen, slotted dataclass. Its annotations give the type the value is converted to, and
`setting(...)` adds what the type cannot say: the key when it is not the field name, bounds, and checks.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable
from typing import Any, NewType

# An amount of bytes written the Spring way: 10MB, 1GB, 512KB, or a plain number of bytes.
ByteSize = NewType("ByteSize", int)

# Returns None when the value is fine, else what was expected ("a path starting with '/'").
Check = Callable[[Any], "str | None"]


def setting(
    default: Any = dataclasses.MISSING,
    *,
    factory: Callable[[], Any] | None = None,
    key: str | None = None,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    check: Check | None = None,
    each: Check | None = None,
    names: Check | None = None,
    env_key_sep: str = "_",
) -> Any:
    """A dataclass field with binder metadata.

    key: the YAML key when it differs from the field name (`playerUpdateInterval` for `player_update_interval_s`).
    lo/hi: inclusive bounds (lo exclusive with lo_open). check: on the value; each: on every item of a list;
    names: on every key of a mapping. env_key_sep joins the rest of an environment variable's name into a mapping
    key (LOGGING_LEVEL_ORG_EXAMPLE -> "org.example" with "."; METRICS_LABELS_DATA_CENTER -> "data_center").
    """
    metadata = {
        "key": key,
        "lo": lo,
        "hi": hi,
        "lo_open": lo_open,
        "check": check,
        "each": each,
        "names": names,
        "env_key_sep": env_key_sep,
    }
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def yaml_key(field: dataclasses.Field[Any]) -> str:
    key = field.metadata.get("key")
    return key if isinstance(key, str) else field.name


def canonical(key: str) -> str:
    """Spring's relaxed form: case, dashes and underscores do not matter (frame-buffer-duration-ms)."""
    return key.replace("-", "").replace("_", "").lower()


def url_path(value: str) -> str | None:
    return None if value.startswith("/") else "a path starting with '/'"


def non_empty(value: str) -> str | None:
    return None if value.strip() else "a non-empty string"


def cidr_block(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return "an IP block in CIDR notation (1.2.3.0/24, 2001:db8::/48)"
    return None


def ip_address(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "an IP address"
    return None


_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def label_name(value: str) -> str | None:
    if _LABEL_NAME.fullmatch(value) and not value.startswith("__"):
        return None
    return "a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
