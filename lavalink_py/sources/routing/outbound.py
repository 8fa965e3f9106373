"""The route planner as the sources use it: an address to bind per attempt, and what a 429 does.

Every attempt asks `address()` (None without a planner: the system picks, as Lavalink without `ratelimit`); an
attempt answered 429 calls `rate_limited`, which marks the address failing (for a search only with
`searchTriggersFail`) and says whether to try again: at most `retryLimit` retries, lavaplayer's
YoutubeIpRotatorFilter (-1 = its default of 10, 0 = no limit). An address the system cannot bind (EADDRNOTAVAIL,
Java's BindException) is treated as failing too.

`request` (and `get`) is that loop for aiohttp (plugins reach it through `routed_http.RoutedHttp`); yt-dlp binds
through `source_address`; a media open through `routed_stream`: FFmpeg's `local_addr`, or for HLS the node's own
reader (`hls_file.HlsFile`), each retried from the next address after a 429 through a `ThreadRoute`, which hands
the rotation from the decoder's thread to the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import errno
import functools
import ipaddress
import logging
import random
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, BinaryIO, cast
from urllib.parse import urlsplit

import aiohttp

from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.protocol.routeplanner import RoutePlannerStatus
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.routing.ip_blocks import IpAddress, parse_address
from lavalink_py.sources.routing.planner import NoFreeAddressError, RoutePlanner, build_planner

log = logging.getLogger(__name__)

_HOST_CACHE_NS = 60 * 1_000_000_000
_HOST_CACHE_SIZE = 1024
DEFAULT_RETRY_LIMIT = 10  # lavaplayer's YoutubeIpRotatorSetup.DEFAULT_RETRY_LIMIT
UNLIMITED_RETRIES = sys.maxsize
_ROTATE_WAIT_S = 10.0
HLS_TIMEOUT_S = 10.0  # one playlist or segment request of an HLS stream read by the node


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
        self.hls_timeout_s = HLS_TIMEOUT_S
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

    def next_after_429(self, address: str | None, *, retries_done: int) -> str | None:
        """A 429 (or an unbindable address) answered a media request from `address`: mark it and name the address to
        try next, or None when there is nothing to rotate, the retries are spent or every address is failing."""
        if not self.rate_limited(address, search=False, retries_done=retries_done):
            return None
        try:
            return self.address()
        except NoFreeAddressError:
            return None

    async def routed_stream(self, spec: StreamSpec) -> StreamSpec:
        """`spec` opened from the planner's address, retried from the next one after a 429 (`StreamSpec.reroute`).

        FFmpeg binds through its tcp `local_addr`, which its http layer passes down; its hls demuxer does not pass
        it to segment requests, so with a planner an HLS spec (`spec.hls`) is read by `HlsFile` instead, which
        fetches the playlist and every segment itself from the planner's address."""
        address = await self.address_for(spec.url)
        if address is None:
            return spec
        route = ThreadRoute(self, asyncio.get_running_loop(), address)
        if spec.hls:
            from lavalink_py.sources.hls_file import ffmpeg_headers  # the HLS reader: not imported at start-up

            headers = ffmpeg_headers(spec.options)
            timeout_s = self.hls_timeout_s
            opener = functools.partial(_open_hls, spec.url, route, headers, timeout_s)
            return dataclasses.replace(spec, options={}, reroute=None, open_file=opener, open_file_at=opener)
        return dataclasses.replace(spec, options=spec.options | {"local_addr": address}, reroute=route.reroute)

    async def route_if_unrouted(self, spec: StreamSpec) -> StreamSpec:
        """`routed_stream` for a spec a source did not route itself (a plugin's URL); a spec that binds already,
        a plugin's own file object and non-HTTP media pass as they are."""
        routed = "local_addr" in spec.options or spec.reroute is not None or spec.open_file is not None
        if routed or self.planner is None or not spec.url.startswith(("http://", "https://")):
            return spec
        return await self.routed_stream(spec)

    def get(
        self, default: aiohttp.ClientSession, url: Any, *, search: bool = False, **kwargs: Any
    ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        return self.request(default, "GET", url, search=search, **kwargs)

    @asynccontextmanager
    async def request(
        self, default: aiohttp.ClientSession, method: str, url: Any, *, search: bool = False, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """`default.request(method, url)`, or with a planner from its address, trying the next one after a 429.
        The last 429 is handed back when the retries are spent, so the caller reports it as any other status."""
        address = await self.address_for(str(url))
        if address is None:
            async with default.request(method, url, **kwargs) as response:
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
                    response = await session.request(method, url, **kwargs)
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


class ThreadRoute:
    """One stream's address, asked for and rotated from the decoder's threads: the planner lives on the loop, so
    each rotation is handed to it and waited for."""

    def __init__(self, outbound: Outbound, loop: asyncio.AbstractEventLoop, address: str) -> None:
        self._outbound = outbound
        self._loop = loop
        self._lock = threading.Lock()
        self.address: str | None = address

    def reroute(self, failed: str | None, retries_done: int) -> str | None:
        """The request from `failed` met a 429 after `retries_done` retries: the next address, or None to give up
        (no planner to rotate, the retries spent, or every address failing)."""
        rotate = functools.partial(self._outbound.next_after_429, failed, retries_done=retries_done)
        if _running_loop() is self._loop:
            chosen = rotate()
        else:
            try:
                chosen = asyncio.run_coroutine_threadsafe(_call(rotate), self._loop).result(_ROTATE_WAIT_S)
            except (TimeoutError, concurrent.futures.CancelledError, RuntimeError):
                return None  # the loop is stopping (or stuck): no rotation, the request fails as it is
        with self._lock:
            if chosen is not None:
                self.address = chosen
        return chosen


def _open_hls(url: str, route: ThreadRoute, headers: dict[str, str], timeout_s: float, start_ms: int = 0
              ) -> BinaryIO:
    from lavalink_py.sources.hls_file import HlsFile

    hls = HlsFile(url, route, headers=headers, timeout_s=timeout_s, start_ms=start_ms)
    return cast(BinaryIO, hls)  # a binary file, read-only


async def _call(fn: Callable[[], str | None]) -> str | None:
    return fn()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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
