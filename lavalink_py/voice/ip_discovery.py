"""Discord's UDP IP discovery: one 74-byte request, one 74-byte response (all big-endian).

u16 type (1 request, 2 response) | u16 length = 70 | u32 ssrc | 64-byte NUL-padded ASCII address | u16 port
"""

from __future__ import annotations

import ipaddress
import struct

from lavalink_py.voice.errors import IpDiscoveryError

PACKET_SIZE = 74
_PACKET = struct.Struct(">HHI64sH")
REQUEST_TYPE = 1
RESPONSE_TYPE = 2
BODY_LENGTH = 70


def build_request(ssrc: int) -> bytes:
    return _PACKET.pack(REQUEST_TYPE, BODY_LENGTH, ssrc, b"", 0)


def build_response(ssrc: int, address: str, port: int) -> bytes:
    return _PACKET.pack(RESPONSE_TYPE, BODY_LENGTH, ssrc, address.encode("ascii"), port)


def _unpack(data: bytes, expected_type: int) -> tuple[int, str, int]:
    if len(data) != PACKET_SIZE:
        raise IpDiscoveryError(f"IP discovery packet has {len(data)} bytes, expected {PACKET_SIZE}")
    kind, length, ssrc, raw_address, port = _PACKET.unpack(data)
    if kind != expected_type or length != BODY_LENGTH:
        raise IpDiscoveryError(f"IP discovery packet has type {kind} length {length}")
    text = raw_address.split(b"\0", 1)[0]
    try:
        address = text.decode("ascii")
        if address:
            ipaddress.ip_address(address)
    except (UnicodeDecodeError, ValueError) as exc:
        raise IpDiscoveryError(f"IP discovery address {text!r} is not an IP address") from exc
    return ssrc, address, port


def parse_request(data: bytes) -> int:
    """The SSRC the client asks about."""
    return _unpack(data, REQUEST_TYPE)[0]


def parse_response(data: bytes) -> tuple[str, int]:
    _, address, port = _unpack(data, RESPONSE_TYPE)
    if not address:
        raise IpDiscoveryError("IP discovery response has an empty address")
    return address, port
