"""The voice UDP socket: IP discovery on open, then send-only RTP (received audio is counted and dropped).

The socket is ours, connected and non-blocking: the asyncio transport over it reads (IP discovery, received audio),
while RTP goes out with a plain `sock.send` from the frame clock. The transport's `sendto` costs several µs of
Python per packet (buffer checks, address handling) for nothing a 20 ms datagram needs; a full socket buffer
raises BlockingIOError, which the sender counts as a failed send, as a real-time stream should (no queueing).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import cast

from lavalink_py.voice.errors import IpDiscoveryError
from lavalink_py.voice.ip_discovery import PACKET_SIZE, build_request, parse_response

log = logging.getLogger(__name__)

DISCOVERY_ATTEMPTS = 3
DISCOVERY_TIMEOUT_S = 2.0


class VoiceDatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
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
    # Resolved here, off the loop when it is a name: connect() on a socket would resolve it blocking.
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP)
    if not infos:
        raise OSError(f"voice UDP address {host}:{port} did not resolve")
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        sock.connect(address)  # a UDP connect only sets the peer: it never waits
        _, protocol = await loop.create_datagram_endpoint(lambda: VoiceDatagramProtocol(sock), sock=sock)
    except BaseException:
        sock.close()
        raise
    return protocol
