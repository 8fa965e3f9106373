"""The addresses a route planner may bind to: one or more CIDR blocks of one family, indexed as one range
(lavaplayer's `CombinedIpBlock`), and addresses written as Java's `InetAddress.toString()` writes them, since that
string is the key Lavalink reports and frees failing addresses by.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Sequence
from typing import Literal

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpFamily = Literal["Inet4Address", "Inet6Address"]

BLOCK64_SIZE = 1 << 64


def java_address(address: IpAddress) -> str:
    """`InetAddress.toString()` of an address made from bytes: "/127.0.0.5", "/2001:db8:0:0:0:0:0:1" (Java never
    compresses zero groups nor pads them)."""
    if isinstance(address, ipaddress.IPv4Address):
        return f"/{address}"
    packed = address.packed
    groups = (int.from_bytes(packed[i : i + 2], "big") for i in range(0, 16, 2))
    return "/" + ":".join(f"{group:x}" for group in groups)


def parse_address(text: str) -> IpAddress:
    """An IP literal as `InetAddress.getByName` reads one; an IPv4-mapped IPv6 address is the IPv4 address.
    Raises ValueError for anything else (a host name: see the REST handler)."""
    address = ipaddress.ip_address(text.strip().removeprefix("[").removesuffix("]"))
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class IpBlock:
    """Blocks of one family laid end to end: index 0 is the first block's first address."""

    def __init__(self, cidrs: Sequence[str]) -> None:
        if not cidrs:
            raise ValueError("the route planner needs at least one IP block")
        self.networks: tuple[IpNetwork, ...] = tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs)
        versions = {network.version for network in self.networks}
        if len(versions) != 1:
            raise ValueError("all IP blocks must be of one family (IPv4 or IPv6), as lavaplayer's CombinedIpBlock")
        self.version = versions.pop()
        self.size = sum(network.num_addresses for network in self.networks)
        self.mask_bits = self._mask_bits()

    @property
    def family(self) -> IpFamily:
        return "Inet4Address" if self.version == 4 else "Inet6Address"

    def _mask_bits(self) -> int:
        """The prefix of one block as large as all of them together, rounding down (lavaplayer's getMaskBits):
        equal blocks pair up into the next larger one."""
        width = 32 if self.version == 4 else 128
        counts = [0] * (width + 1)
        for network in self.networks:
            counts[network.prefixlen] += 1
        mask_bits = width
        for bits in range(width, 0, -1):
            pairs, counts[bits] = divmod(counts[bits], 2)
            counts[bits - 1] += pairs
        for bits in range(width + 1):
            if counts[bits]:
                mask_bits = bits
                break
        return mask_bits

    def address_at(self, index: int) -> IpAddress:
        """The address `index` places into the combined range; IndexError past its end."""
        if index < 0:
            raise IndexError(f"address index {index} is negative")
        for network in self.networks:
            if index < network.num_addresses:
                return network.network_address + index
            index -= network.num_addresses
        raise IndexError("address index past the end of the IP blocks")

    def random_address(self, rng: random.Random) -> IpAddress:
        """Uniform over every address of every block (lavaplayer weighs blocks by size, which is the same)."""
        return self.address_at(rng.randrange(self.size))
