"""The voice UDP socket: IP discovery on open, then send-only RTP (received audio is counted and dropped)."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from lavalink_py.voice.errors import IpDiscoveryError
from lavalink_py.voice.ip_discovery import PACKET_SIZE, build_request, parse_response

log = logging.getLogger(__name__)

DISCOVERY_ATTEMPTS = 3
DISCOVERY_TIMEOUT_S = 2.0


class VoiceDatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.received_datagrams = 0
        self.errors = 0
        self._discovery: asyncio.Future[bytes] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport, but has its API.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if self._discovery is not None and not self._discovery.done() and len(data) == PACKET_SIZE:
            self._discovery.set_result(data)
            return
        self.received_datagrams += 1

    def error_received(self, exc: Exception) -> None:
        self.errors += 1
        log.debug("voice UDP error: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    async def discover(self, ssrc: int) -> tuple[str, int]:
        if self.transport is None:
            raise IpDiscoveryError("UDP socket closed before IP discovery")
        loop = asyncio.get_running_loop()
        for _ in range(DISCOVERY_ATTEMPTS):
            self._discovery = loop.create_future()
            self.transport.sendto(build_request(ssrc))
            try:
                return parse_response(await asyncio.wait_for(self._discovery, DISCOVERY_TIMEOUT_S))
            except TimeoutError:
                continue
            finally:
                self._discovery = None
        raise IpDiscoveryError(f"no IP discovery reply after {DISCOVERY_ATTEMPTS} attempts")


async def open_voice_udp(host: str, port: int) -> VoiceDatagramProtocol:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_datagram_endpoint(VoiceDatagramProtocol, remote_addr=(host, port))
    return protocol
