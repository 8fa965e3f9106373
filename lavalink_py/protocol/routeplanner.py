"""`/v4/routeplanner/status` as Lavalink writes it (protocol `routeplanner.kt`, `RoutePlannerRestHandler`):

    {"class": "RotatingIpRoutePlanner" | "NanoIpRoutePlanner" | "RotatingNanoIpRoutePlanner"
              | "BalancingIpRoutePlanner",
     "details": {"ipBlock": {"type": "Inet4Address" | "Inet6Address", "size": "<decimal>"},
                 "failingAddresses": [{"failingAddress": "/1.2.3.4", "failingTimestamp": <ms>,
                                       "failingTime": "<java.util.Date.toString()>"}],
                 ...the class's own fields, every one a string}}

Rotating adds rotateIndex, ipIndex, currentAddress ("null" before the first request, as Kotlin prints null);
Nano adds currentAddressIndex; RotatingNano blockIndex and currentAddressIndex; Balancing nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal, assert_never

PlannerClass = Literal[
    "RotatingIpRoutePlanner", "NanoIpRoutePlanner", "RotatingNanoIpRoutePlanner", "BalancingIpRoutePlanner"
]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class FailingAddress:
    address: str  # Java's InetAddress.toString(): "/127.0.0.5"
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class RoutePlannerStatus:
    planner_class: PlannerClass
    ip_block_type: Literal["Inet4Address", "Inet6Address"]
    ip_block_size: int
    failing: tuple[FailingAddress, ...]
    rotate_index: int = 0
    ip_index: int = 0
    current_address: str | None = None
    current_address_index: int = 0
    block_index: int = 0


def java_date(timestamp_ms: int) -> str:
    """`java.util.Date.toString()` in the local time zone: "Tue Dec 01 22:43:53 UTC 2026" (English, whatever the
    locale, as Java's Date always writes it)."""
    local = time.localtime(timestamp_ms / 1000)
    return (
        f"{_DAYS[local.tm_wday]} {_MONTHS[local.tm_mon - 1]} {local.tm_mday:02d} "
        f"{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d} {local.tm_zone} {local.tm_year}"
    )


def status_json(status: RoutePlannerStatus) -> dict[str, Any]:
    details: dict[str, Any] = {
        "ipBlock": {"type": status.ip_block_type, "size": str(status.ip_block_size)},
        "failingAddresses": [
            {"failingAddress": f.address, "failingTimestamp": f.timestamp_ms, "failingTime": java_date(f.timestamp_ms)}
            for f in status.failing
        ],
    }
    match status.planner_class:
        case "RotatingIpRoutePlanner":
            details["rotateIndex"] = str(status.rotate_index)
            details["ipIndex"] = str(status.ip_index)
            details["currentAddress"] = "null" if status.current_address is None else status.current_address
        case "NanoIpRoutePlanner":
            details["currentAddressIndex"] = str(status.current_address_index)
        case "RotatingNanoIpRoutePlanner":
            details["blockIndex"] = str(status.block_index)
            details["currentAddressIndex"] = str(status.current_address_index)
        case "BalancingIpRoutePlanner":
            pass
        case _:
            assert_never(status.planner_class)
    return {"class": status.planner_class, "details": details}
