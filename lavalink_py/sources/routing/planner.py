"""The four route planners of lavaplayer's youtube-rotator, sans-I/O: time (`now_ns` monotonic, `now_ms` wall
clock) and randomness (`rng`) are arguments, so tests are exact.

A request asks `choose` for the local address to bind; a 429 answered to it calls `mark_failing`, which keeps the
address out of `choose` for a week (lavaplayer's FAILING_TIME) unless freed, and lets the strategy move on:
- RotateOnBan (`RotatingPlanner`): one address until it fails, then the next one (a step of 10-19 in blocks of more
  than 128 addresses, so neighbours in a banned range are skipped);
- LoadBalance (`BalancingPlanner`): a random address per request;
- NanoSwitch (`NanoPlanner`): the address at index "nanoseconds since start" of an IPv6 /64 or larger, a new one
  per request without any state;
- RotatingNanoSwitch (`RotatingNanoPlanner`): the same within one /64, moving to the next /64 on a failure.
"""

from __future__ import annotations

import logging
import random
from abc import ABC, abstractmethod
from collections.abc import Collection
from typing import Literal, assert_never

from lavalink_py.protocol.routeplanner import FailingAddress, PlannerClass, RoutePlannerStatus
from lavalink_py.sources.routing.ip_blocks import BLOCK64_SIZE, IpAddress, IpBlock, java_address

log = logging.getLogger(__name__)

Strategy = Literal["RotateOnBan", "LoadBalance", "NanoSwitch", "RotatingNanoSwitch"]

FAILING_TIME_MS = 7 * 24 * 3600 * 1000
_SCAN_LIMIT = 1 << 16


class NoFreeAddressError(LookupError):
    """Every address of the block is excluded or failing (lavaplayer's "Can't find a free ip")."""


class RoutePlanner(ABC):
    planner_class: PlannerClass

    def __init__(
        self, block: IpBlock, *, excluded: Collection[IpAddress] = (), search_triggers_fail: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        self.block = block
        self.excluded = frozenset(excluded)
        self.search_triggers_fail = search_triggers_fail
        self.rng = rng or random.Random()
        # Java's InetAddress.toString() -> when it was marked (Unix ms); insertion order is report order.
        self.failing: dict[str, int] = {}

    @abstractmethod
    def choose(self, *, now_ns: int, now_ms: int) -> IpAddress:
        """The local address for the next request; NoFreeAddressError when there is none."""

    @abstractmethod
    def status(self, *, now_ns: int) -> RoutePlannerStatus: ...

    def mark_failing(self, address: IpAddress, *, now_ms: int, now_ns: int) -> None:
        self.failing[java_address(address)] = now_ms
        self._on_failure(address, now_ns)

    def free_address(self, address: IpAddress) -> None:
        self.failing.pop(java_address(address), None)

    def free_all(self) -> None:
        self.failing.clear()

    def _on_failure(self, address: IpAddress, now_ns: int) -> None:  # noqa: B027 - most strategies do nothing
        """What the strategy does when an address it chose failed."""

    def _usable(self, address: IpAddress, now_ms: int) -> bool:
        if address in self.excluded:
            return False
        key = java_address(address)
        since = self.failing.get(key)
        if since is None:
            return True
        if since + FAILING_TIME_MS < now_ms:
            del self.failing[key]
            return True
        return False

    def _failing_status(self) -> tuple[FailingAddress, ...]:
        return tuple(FailingAddress(address, at) for address, at in self.failing.items())

    def _status(self, **details: int | str | None) -> RoutePlannerStatus:
        return RoutePlannerStatus(
            self.planner_class, self.block.family, self.block.size, self._failing_status(), **details  # type: ignore[arg-type]
        )


class RotatingPlanner(RoutePlanner):
    planner_class = "RotatingIpRoutePlanner"

    def __init__(
        self, block: IpBlock, *, excluded: Collection[IpAddress] = (), search_triggers_fail: bool = True,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(block, excluded=excluded, search_triggers_fail=search_triggers_fail, rng=rng)
        self.index = 0  # 1-based position of the current address; 0 = none chosen yet
        self.rotate_index = 0  # how many rotations were asked for
        self._next = False
        self._last_failing: str | None = None

    @property
    def current_address(self) -> IpAddress | None:
        return None if self.index == 0 else self.block.address_at(self.index - 1)

    def choose(self, *, now_ns: int, now_ms: int) -> IpAddress:
        current = self.current_address
        if current is None or self._next or not self._usable(current, now_ms):
            current = self._advance(now_ms)
            log.info("Selected /%s as new outgoing ip", current)
        self._next = False
        return current

    def _on_failure(self, address: IpAddress, now_ns: int) -> None:
        key = java_address(address)
        if key == self._last_failing:
            log.warning("Address %s was already failing, not rotating again", key)
            return
        self._last_failing = key
        self.rotate_index += 1
        self._next = True

    def _advance(self, now_ms: int) -> IpAddress:
        size = self.block.size
        for _ in range(2 * size + 1):
            self.index += self.rng.randrange(10, 20) if size > 128 else 1
            try:
                address = self.block.address_at(self.index - 1)
            except IndexError:
                self.index = 0  # past the end: start over from the first address
                continue
            if self._usable(address, now_ms):
                return address
        raise NoFreeAddressError("Can't find a free ip")

    def status(self, *, now_ns: int) -> RoutePlannerStatus:
        current = self.current_address
        return self._status(
            rotate_index=self.rotate_index, ip_index=self.index,
            current_address=None if current is None else java_address(current),
        )


class BalancingPlanner(RoutePlanner):
    planner_class = "BalancingIpRoutePlanner"

    def choose(self, *, now_ns: int, now_ms: int) -> IpAddress:
        for _ in range(2 * self.block.size + 1):
            address = self.block.random_address(self.rng)
            if self._usable(address, now_ms):
                return address
        # lavaplayer gives up here; in a small block with most addresses failing, chance alone can get here while
        # some are free, so look at every one from a random start before saying none is.
        if self.block.size <= _SCAN_LIMIT:
            start = self.rng.randrange(self.block.size)
            for step in range(self.block.size):
                address = self.block.address_at((start + step) % self.block.size)
                if self._usable(address, now_ms):
                    return address
        raise NoFreeAddressError("Can't find a free ip")

    def status(self, *, now_ns: int) -> RoutePlannerStatus:
        return self._status()


def _require_block64(block: IpBlock, strategy: str) -> None:
    if block.version != 6 or block.size < BLOCK64_SIZE:
        raise ValueError(f"{strategy} needs an IPv6 block of a /64 or larger, as Lavalink's")


class NanoPlanner(RoutePlanner):
    planner_class = "NanoIpRoutePlanner"

    def __init__(
        self, block: IpBlock, *, start_ns: int, search_triggers_fail: bool = True, rng: random.Random | None = None,
    ) -> None:
        _require_block64(block, "NanoSwitch")
        # Lavalink's NanoSwitch ignores excludedIps: one address per nanosecond never repeats within a week.
        super().__init__(block, search_triggers_fail=search_triggers_fail, rng=rng)
        self.start_ns = start_ns

    def choose(self, *, now_ns: int, now_ms: int) -> IpAddress:
        offset = (now_ns - self.start_ns) % BLOCK64_SIZE
        if self.block.mask_bits >= 64:
            return self.block.address_at(offset)
        # Larger than a /64: a random /64 of the block, the nanosecond offset within it.
        return self.block.address_at(self.rng.randrange(self.block.size // BLOCK64_SIZE) * BLOCK64_SIZE + offset)

    def status(self, *, now_ns: int) -> RoutePlannerStatus:
        return self._status(current_address_index=now_ns - self.start_ns)


class RotatingNanoPlanner(RoutePlanner):
    planner_class = "RotatingNanoIpRoutePlanner"

    def __init__(
        self, block: IpBlock, *, start_ns: int, excluded: Collection[IpAddress] = (),
        search_triggers_fail: bool = True, rng: random.Random | None = None,
    ) -> None:
        _require_block64(block, "RotatingNanoSwitch")
        super().__init__(block, excluded=excluded, search_triggers_fail=search_triggers_fail, rng=rng)
        self.current_block = 0
        self.block_start_ns = start_ns

    def choose(self, *, now_ns: int, now_ms: int) -> IpAddress:
        skipped = 0  # unusable addresses passed over; after 128 in one /64, the next /64 (lavaplayer's rule)
        for _ in range(2 * 129 + 1):
            offset = (now_ns - self.block_start_ns + skipped) % BLOCK64_SIZE
            try:
                address = self.block.address_at(self.current_block * BLOCK64_SIZE + offset)
            except IndexError:
                self.current_block = 0  # past the last /64: back to the first
                continue
            if self._usable(address, now_ms):
                return address
            skipped += 1
            if skipped > 128:
                self.current_block += 1
        raise NoFreeAddressError("Can't find a free ip")

    def _on_failure(self, address: IpAddress, now_ns: int) -> None:
        self.current_block += 1
        self.block_start_ns = now_ns

    def status(self, *, now_ns: int) -> RoutePlannerStatus:
        return self._status(block_index=self.current_block, current_address_index=now_ns - self.block_start_ns)


def build_planner(
    strategy: Strategy, cidrs: Collection[str], *, excluded: Collection[str] = (), search_triggers_fail: bool = True,
    start_ns: int, rng: random.Random | None = None,
) -> RoutePlanner:
    """Lavalink's `routePlanner` bean; ValueError with the reason when the blocks do not suit the strategy."""
    block = IpBlock(tuple(cidrs))
    skip = [IpBlock([address]).address_at(0) for address in excluded]
    match strategy:
        case "RotateOnBan":
            return RotatingPlanner(block, excluded=skip, search_triggers_fail=search_triggers_fail, rng=rng)
        case "LoadBalance":
            return BalancingPlanner(block, excluded=skip, search_triggers_fail=search_triggers_fail, rng=rng)
        case "NanoSwitch":
            return NanoPlanner(block, start_ns=start_ns, search_triggers_fail=search_triggers_fail, rng=rng)
        case "RotatingNanoSwitch":
            return RotatingNanoPlanner(
                block, start_ns=start_ns, excluded=skip, search_triggers_fail=search_triggers_fail, rng=rng
            )
        case _:
            assert_never(strategy)
