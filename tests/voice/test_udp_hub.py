"""The capacity benches' receiver (tests/fakes/discord_voice/udp_hub.py) reads the same on epoll and on a timer."""

import asyncio
import socket
import struct

import pytest

from lavalink_py.voice.ip_discovery import build_request, parse_response
from tests.fakes.discord_voice.udp_hub import UdpHub

SSRC = 4242


@pytest.mark.parametrize("poll_s", [0.0, 0.005])
async def test_the_hub_answers_discovery_and_counts_every_packet_in_order(poll_s: float) -> None:
    hub = UdpHub(decrypt_every=4, poll_s=poll_s)
    hub.start()
    verified: list[bytes] = []
    stream = hub.register(SSRC, verified.append)
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        sock.connect(("127.0.0.1", hub.port))
        sock.send(build_request(SSRC))
        answer = await asyncio.wait_for(loop.sock_recv(sock, 2048), 30)
        assert parse_response(answer) == sock.getsockname()
        sequences = [*range(20), 21]  # one step skipped
        for sequence in sequences:
            sock.send(struct.pack(">BBHII", 0x80, 0x78, sequence, 960 * sequence, SSRC) + b"opus")
        sock.send(struct.pack(">BBHII", 0x80, 0x78, 0, 0, SSRC + 1))  # nobody's
        for _ in range(3000):
            if stream.received + hub.unmatched == len(sequences) + 1:
                break
            await asyncio.sleep(0.01)
    finally:
        sock.close()
        hub.close()
    assert (stream.received, stream.sequence_gaps, hub.unmatched) == (len(sequences), 1, 1)
    assert len(stream.arrivals) == len(sequences) and stream.arrivals == sorted(stream.arrivals)
    assert len(verified) == len(sequences) // 4
