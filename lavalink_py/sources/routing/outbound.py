"""The route planner as the sources use it: an address to bind per attempt, and what a 429 does.

Every attempt asks `address()` (None without a planner: the system picks, as Lavalink without `ratelimit`); an
attempt answered 429 calls `rate_limited`, which marks the address failing (for a search only with
`searchTriggersFail`) and says whether to try again: at most `retryLimit` retries, lavaplayer's
YoutubeIpRotatorFilter (-1 = its default of 10, 0 = no limit). An address the system cannot bind (EADDRNOTAVAIL,
Java's BindException) is treated as failing too.

`get` is that loop for aiohttp; FFmpeg binds through its `local_addr` option and yt-dlp through `source_address`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import functools
import ipaddress
import logging
import random
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.protocol.routeplanner import RoutePlannerStatus
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.routing.ip_blocks import IpAddress, parse_address
from lavalink_py.sources.routing.planner import RoutePlanner, build_planner

log = logging.getLogger(__name__)

_HOST_CACHE_NS = 60 * 1_000_000_000
_HOST_CACHE_SIZE = 1024
DEFAULT_RETRY_LIMIT = 10  # lavaplayer's YoutubeIpRotatorSetup.DEFAULT_RETRY_LIMIT
UNLIMITED_RETRIES = sys.maxsize


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Outbound:
    def __init__(
        self,
        planner: RoutePlanner | None = None,
        *,
        retry_limit: int = -1,
        mono_ns: Callable[[], int] = time.monotonic_ns,
        wall_ms: Callable[[], int] = _wall_ms,
    ) -> None:
        self.planner = planner
        self.retry_limit = DEFAULT_RETRY_LIMIT if retry_limit < 0 else retry_limit or UNLIMITED_RETRIES
        self._mono_ns = mono_ns
        self._wall_ms = wall_ms
        self.rate_limits = 0  # 429s seen by routed requests
        self._ipv6_hosts: dict[str, tuple[bool, int]] = {}  # host -> (has an IPv6 address, until when, ns)

    @property
    def enabled(self) -> bool:
        return self.planner is not None

    def address(self) -> str | None:
        """The local address the next attempt binds to (NoFreeAddressError when every one is failing)."""
        if self.planner is None:
            return None
        return str(self.planner.choose(now_ns=self._mono_ns(), now_ms=self._wall_ms()))

    async def address_for(self, url: str) -> str | None:
        """`address()` for a request to `url`; None (the system's own address) when the planner's block is IPv6 and
        the host has no IPv6 address, as Lavalink ("Falling back to unbalanced IPv4")."""
        if self.planner is None:
            return None
        if self.planner.block.version == 6:
            host = urlsplit(url).hostname
            if host and not await self._has_ipv6(host):
                log.warning("Could not look up AAAA record for %s. Falling back to unbalanced IPv4.", host)
                return None
        return self.address()

    async def _has_ipv6(self, host: str) -> bool:
        try:
            return ipaddress.ip_address(host).version == 6
        except ValueError:
            pass
        now = self._mono_ns()
        cached = self._ipv6_hosts.get(host)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            found = bool(await asyncio.get_running_loop().getaddrinfo(host, None, family=socket.AF_INET6,
                                                                       type=socket.SOCK_STREAM))
        except (OSError, UnicodeError):
            found = False
        if len(self._ipv6_hosts) >= _HOST_CACHE_SIZE:
            self._ipv6_hosts.clear()
        self._ipv6_hosts[host] = (found, now + _HOST_CACHE_NS)
        return found

    def rate_limited(self, address: str | None, *, search: bool, retries_done: int) -> bool:
        """A 429 (or an unbindable address) answered the attempt from `address`: mark it; True = try again."""
        self.rate_limits += 1
        if self.planner is None or address is None:
            return False  # not routed (no planner, or an IPv6 planner and an IPv4-only host): nothing to rotate
        if not search or self.planner.search_triggers_fail:
            log.warning("Rate limit reached, marking address /%s as failing", address)
            self.planner.mark_failing(parse_address(address), now_ms=self._wall_ms(), now_ns=self._mono_ns())
        return retries_done < self.retry_limit

    def status(self) -> RoutePlannerStatus | None:
        return None if self.planner is None else self.planner.status(now_ns=self._mono_ns())

    def free_address(self, address: IpAddress) -> None:
        if self.planner is not None:
            self.planner.free_address(address)

    def free_all(self) -> None:
        if self.planner is not None:
            self.planner.free_all()

    async def routed_stream(self, spec: StreamSpec) -> StreamSpec:
        """`spec` opened from the planner's address (FFmpeg's tcp `local_addr`, which its http and HLS layers pass
        down), reporting a 429 back to it: the report comes from the decoder's thread and is handed to this loop,
        where the planner lives."""
        address = await self.address_for(spec.url)
        if address is None:
            return spec
        loop = asyncio.get_running_loop()
        options = {"local_addr": address}

        def report() -> None:
            loop.call_soon_threadsafe(functools.partial(self.rate_limited, address, search=False, retries_done=0))

        return dataclasses.replace(spec, options=spec.options | options, on_rate_limited=report)

    @asynccontextmanager
    async def get(
        self, default: aiohttp.ClientSession, url: Any, *, search: bool = False, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """`default.get(url)`, or with a planner from its address, trying the next one after a 429. The last 429
        is handed back when the retries are spent, so the caller reports it as any other status."""
        address = await self.address_for(str(url))
        if address is None:
            async with default.get(url, **kwargs) as response:
                yield response
            return
        retries = 0
        while True:
            if retries:
                address = self.address()
            assert address is not None
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            connector = aiohttp.TCPConnector(local_addr=(address, 0), family=family, force_close=True)
            # One connection per attempt, as lavaplayer's rotator (SimpleHttpClientConnectionManager): a pooled
            # connection would keep the old address after a rotation.
            async with aiohttp.ClientSession(
                connector=connector, timeout=default.timeout, headers=default.headers
            ) as session:
                try:
                    response = await session.get(url, **kwargs)
                except aiohttp.ClientConnectorError as exc:
                    if exc.os_error.errno != errno.EADDRNOTAVAIL:
                        raise
                    log.warning("Cannot assign requested address /%s", address)
                    if not self.rate_limited(address, search=search, retries_done=retries):
                        raise
                    retries += 1
                    continue
                async with response:
                    if response.status != 429:
                        yield response
                        return
                    if not self.rate_limited(address, search=search, retries_done=retries):
                        yield response
                        return
            retries += 1


def build_outbound(ratelimit: RateLimitSettings | None, *, rng: random.Random | None = None) -> Outbound:
    """Lavalink's `routePlanner` bean: none without `ratelimit` or with no ipBlocks (the config loader has
    already refused blocks that do not suit the strategy)."""
    if ratelimit is None or not ratelimit.ip_blocks:
        return Outbound()
    planner = build_planner(
        ratelimit.strategy, ratelimit.ip_blocks, excluded=ratelimit.excluded_ips,
        search_triggers_fail=ratelimit.search_triggers_fail, start_ns=time.monotonic_ns(), rng=rng,
    )
    log.info(
        "Active RoutePlanner: %s using total of %d ips", planner.planner_class, planner.block.size
    )
    return Outbound(planner, retry_limit=ratelimit.retry_limit)
