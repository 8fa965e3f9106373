"""The route planners as lavaplayer's youtube-rotator defines them, driven with explicit time and randomness."""

from __future__ import annotations

import ipaddress
import random
import time

import pytest

from lavalink_py.protocol.routeplanner import java_date, status_json
from lavalink_py.sources.routing.ip_blocks import BLOCK64_SIZE, IpBlock, java_address, parse_address
from lavalink_py.sources.routing.planner import (
    FAILING_TIME_MS,
    BalancingPlanner,
    NanoPlanner,
    NoFreeAddressError,
    RotatingNanoPlanner,
    RotatingPlanner,
    build_planner,
)

NOW_MS = 1_800_000_000_000
V4 = ipaddress.IPv4Address


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


class TestIpBlock:
    def test_blocks_are_laid_end_to_end(self) -> None:
        block = IpBlock(["127.0.1.0/30", "127.0.2.0/31"])
        assert (block.size, block.family) == (6, "Inet4Address")
        assert [str(block.address_at(i)) for i in range(6)] == [
            "127.0.1.0", "127.0.1.1", "127.0.1.2", "127.0.1.3", "127.0.2.0", "127.0.2.1"
        ]
        with pytest.raises(IndexError):
            block.address_at(6)

    def test_host_bits_of_a_block_are_ignored(self) -> None:
        assert str(IpBlock(["127.0.1.7/30"]).address_at(0)) == "127.0.1.4"

    def test_families_do_not_mix(self) -> None:
        with pytest.raises(ValueError, match="one family"):
            IpBlock(["127.0.0.0/8", "2001:db8::/64"])

    def test_mask_bits_of_combined_blocks(self) -> None:
        assert IpBlock(["2001:db8::/64"]).mask_bits == 64
        assert IpBlock(["2001:db8::/64", "2001:db8:0:1::/64"]).mask_bits == 63
        assert IpBlock(["10.0.0.0/24"]).mask_bits == 24

    def test_addresses_read_as_java_writes_them(self) -> None:
        assert java_address(ip("127.0.0.5")) == "/127.0.0.5"
        assert java_address(ip("2001:db8::1")) == "/2001:db8:0:0:0:0:0:1"
        assert java_address(ip("2001:db8:0:10::ff00")) == "/2001:db8:0:10:0:0:0:ff00"

    def test_literals_parse_as_get_by_name(self) -> None:
        assert parse_address("::ffff:127.0.0.9") == ip("127.0.0.9")
        assert parse_address("[2001:db8::1]") == ip("2001:db8::1")
        with pytest.raises(ValueError):
            parse_address("localhost")


class TestRotateOnBan:
    def planner(self, cidr: str = "127.0.3.0/29", **kwargs: object) -> RotatingPlanner:
        return RotatingPlanner(IpBlock([cidr]), rng=random.Random(1), **kwargs)  # type: ignore[arg-type]

    def test_keeps_one_address_until_it_fails(self) -> None:
        planner = self.planner()
        assert planner.status(now_ns=0).current_address is None
        assert [planner.choose(now_ns=0, now_ms=NOW_MS) for _ in range(3)] == [ip("127.0.3.0")] * 3
        planner.mark_failing(ip("127.0.3.0"), now_ms=NOW_MS, now_ns=0)
        assert planner.choose(now_ns=0, now_ms=NOW_MS) == ip("127.0.3.1")
        assert planner.choose(now_ns=0, now_ms=NOW_MS) == ip("127.0.3.1")
        status = planner.status(now_ns=0)
        assert (status.rotate_index, status.ip_index, status.current_address) == (1, 2, "/127.0.3.1")

    def test_skips_excluded_and_failing_and_wraps(self) -> None:
        planner = self.planner("127.0.3.0/30", excluded=[ip("127.0.3.1")])
        seen = []
        for _ in range(3):
            seen.append(planner.choose(now_ns=0, now_ms=NOW_MS))
            planner.mark_failing(seen[-1], now_ms=NOW_MS, now_ns=0)
        assert seen == [ip("127.0.3.0"), ip("127.0.3.2"), ip("127.0.3.3")]
        planner.free_address(ip("127.0.3.0"))
        assert list(planner.failing) == ["/127.0.3.2", "/127.0.3.3"]
        assert planner.choose(now_ns=0, now_ms=NOW_MS) == ip("127.0.3.0")  # past the end: from the start again

    def test_no_free_address(self) -> None:
        planner = self.planner("127.0.3.0/31")
        for address in ("127.0.3.0", "127.0.3.1"):
            planner.mark_failing(ip(address), now_ms=NOW_MS, now_ns=0)
        with pytest.raises(NoFreeAddressError):
            planner.choose(now_ns=0, now_ms=NOW_MS)
        planner.free_all()
        assert planner.choose(now_ns=0, now_ms=NOW_MS) in (ip("127.0.3.0"), ip("127.0.3.1"))

    def test_failing_expires_after_a_week(self) -> None:
        planner = self.planner("127.0.3.0/32")
        planner.mark_failing(ip("127.0.3.0"), now_ms=NOW_MS, now_ns=0)
        with pytest.raises(NoFreeAddressError):
            planner.choose(now_ns=0, now_ms=NOW_MS + FAILING_TIME_MS)
        assert planner.choose(now_ns=0, now_ms=NOW_MS + FAILING_TIME_MS + 1) == ip("127.0.3.0")
        assert planner.failing == {}

    def test_large_blocks_step_ten_to_nineteen(self) -> None:
        planner = self.planner("127.0.0.0/16")
        first = planner.choose(now_ns=0, now_ms=NOW_MS)
        planner.mark_failing(first, now_ms=NOW_MS, now_ns=0)
        second = planner.choose(now_ns=0, now_ms=NOW_MS)
        assert 10 <= int(second) - int(first) <= 19

    def test_the_same_failure_twice_rotates_once(self) -> None:
        planner = self.planner()
        first = planner.choose(now_ns=0, now_ms=NOW_MS)
        planner.mark_failing(first, now_ms=NOW_MS, now_ns=0)
        planner.mark_failing(first, now_ms=NOW_MS + 1, now_ns=0)
        assert planner.rotate_index == 1
        assert planner.failing == {"/127.0.3.0": NOW_MS + 1}


class TestLoadBalance:
    def test_random_addresses_never_failing_or_excluded(self) -> None:
        planner = BalancingPlanner(IpBlock(["127.0.4.0/30"]), excluded=[ip("127.0.4.3")], rng=random.Random(7))
        planner.mark_failing(ip("127.0.4.0"), now_ms=NOW_MS, now_ns=0)
        chosen = {planner.choose(now_ns=0, now_ms=NOW_MS) for _ in range(200)}
        assert chosen == {ip("127.0.4.1"), ip("127.0.4.2")}


class TestNanoSwitch:
    def test_address_is_the_nanoseconds_since_start(self) -> None:
        planner = NanoPlanner(IpBlock(["2001:db8:1::/64"]), start_ns=1_000)
        assert planner.choose(now_ns=1_000, now_ms=NOW_MS) == ip("2001:db8:1::")
        assert planner.choose(now_ns=1_000 + 0xABCD, now_ms=NOW_MS) == ip("2001:db8:1::abcd")
        assert planner.status(now_ns=1_500).current_address_index == 500

    def test_larger_blocks_pick_a_random_64(self) -> None:
        planner = NanoPlanner(IpBlock(["2001:db8::/62"]), start_ns=0, rng=random.Random(3))
        prefixes = {int(planner.choose(now_ns=5, now_ms=NOW_MS)) >> 64 for _ in range(50)}
        assert len(prefixes) > 1 and all(int(ip("2001:db8::")) >> 64 <= p < (int(ip("2001:db8::")) >> 64) + 4
                                          for p in prefixes)

    def test_needs_an_ipv6_64(self) -> None:
        for cidr in ("127.0.0.0/8", "2001:db8::/65"):
            with pytest.raises(ValueError, match="/64"):
                NanoPlanner(IpBlock([cidr]), start_ns=0)


class TestRotatingNanoSwitch:
    def test_moves_to_the_next_64_on_failure(self) -> None:
        planner = RotatingNanoPlanner(IpBlock(["2001:db8::/63"]), start_ns=100)
        first = planner.choose(now_ns=107, now_ms=NOW_MS)
        assert first == ip("2001:db8::7")
        planner.mark_failing(first, now_ms=NOW_MS, now_ns=200)
        assert planner.choose(now_ns=203, now_ms=NOW_MS) == ip("2001:db8:0:1::3")
        status = planner.status(now_ns=210)
        assert (status.block_index, status.current_address_index) == (1, 10)
        planner.mark_failing(ip("2001:db8:0:1::3"), now_ms=NOW_MS, now_ns=300)
        assert planner.choose(now_ns=301, now_ms=NOW_MS) == ip("2001:db8::1")  # past the last /64: the first


class TestStatusJson:
    def test_rotating(self) -> None:
        planner = build_planner("RotateOnBan", ["127.0.5.0/28"], start_ns=0)
        address = planner.choose(now_ns=0, now_ms=NOW_MS)
        planner.mark_failing(address, now_ms=NOW_MS, now_ns=0)
        assert status_json(planner.status(now_ns=0)) == {
            "class": "RotatingIpRoutePlanner",
            "details": {
                "ipBlock": {"type": "Inet4Address", "size": "16"},
                "failingAddresses": [
                    {"failingAddress": "/127.0.5.0", "failingTimestamp": NOW_MS, "failingTime": java_date(NOW_MS)}
                ],
                "rotateIndex": "1",
                "ipIndex": "1",
                "currentAddress": "/127.0.5.0",
            },
        }

    def test_each_class_has_its_own_details(self) -> None:
        shapes = {
            "RotateOnBan": ("RotatingIpRoutePlanner", {"rotateIndex": "0", "ipIndex": "0", "currentAddress": "null"}),
            "LoadBalance": ("BalancingIpRoutePlanner", {}),
            "NanoSwitch": ("NanoIpRoutePlanner", {"currentAddressIndex": "0"}),
            "RotatingNanoSwitch": ("RotatingNanoIpRoutePlanner", {"blockIndex": "0", "currentAddressIndex": "0"}),
        }
        for strategy, (name, extra) in shapes.items():
            cidr = "2001:db8::/64" if "Nano" in strategy else "127.0.5.0/28"
            planner = build_planner(strategy, [cidr], start_ns=0)  # type: ignore[arg-type]
            body = status_json(planner.status(now_ns=0))
            size = str(BLOCK64_SIZE) if "Nano" in strategy else "16"
            family = "Inet6Address" if "Nano" in strategy else "Inet4Address"
            assert body == {"class": name, "details": {
                "ipBlock": {"type": family, "size": size}, "failingAddresses": [], **extra}}

    def test_failing_time_is_java_date_to_string(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()
        try:
            assert java_date(NOW_MS) == "Fri Jan 15 08:00:00 UTC 2027"
            assert java_date(NOW_MS - 8 * 3600 * 1000 - 1000) == "Thu Jan 14 23:59:59 UTC 2027"
        finally:
            monkeypatch.undo()
            time.tzset()
