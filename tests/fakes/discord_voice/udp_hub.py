"""UdpHub: one UDP socket for many FakeVoiceServers, demultiplexed by SSRC (as Discord's voice servers do).

For capacity benchmarks, where the receivers share the machine with the node they measure: one socket drained in
one loop callback (`recvmsg_into` a preallocated buffer until it would block) instead of one asyncio datagram
transport per server, which costs a selector event, a callback and a bytes object per packet. Per packet the hub
reads the RTP header in place, checks the sequence steps by 1, counts it and notes the kernel's arrival stamp
(SO_TIMESTAMPNS: when the packet came in, however late the hub reads it); one packet in
`decrypt_every` per stream is copied out and goes through its server's full path (transport AEAD, DAVE by every
simulated listener). IP discovery is answered here. A server registers its SSRC once the node's Speaking names it;
packets of an unknown SSRC are counted in `unmatched` and dropped.

`poll_s` > 0: the socket is drained on a timer instead of when epoll says it is readable. With a receiver asleep on
it (epoll), the kernel wakes that receiver from inside each sender's `send` on loopback: 12.7 % of a voice worker's
CPU at 700 players (perf, 2026-12-06), a cost no remote Discord server puts on the node. On a timer the socket has no
waiter and the send ends at the enqueue. Arrival times are the kernel's stamps either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lavalink_py.voice.ip_discovery import PACKET_SIZE, build_response

_SEQUENCE_SSRC = struct.Struct(">2xH4xI")  # RTP header: sequence (bytes 2-3), SSRC (bytes 8-11)
_RTP_HEADER_SIZE = 12
_RECEIVE_BUFFER = 64 << 20  # a stalled receiver must not drop: ~50,000 small packets (a second at 1,000 players)
_DATAGRAM_MAX = 2048
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; the socket module does not name it
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_TIMESPEC = struct.Struct("@qq")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size)


@dataclass(slots=True)
class HubStream:
    """What the hub saw of one SSRC: packets, sequence gaps (a step other than +1), arrival times."""

    verify: Callable[[bytes], None]  # the server's full path for a sampled packet
    received: int = 0
    sequence_gaps: int = 0
    next_sequence: int = -1
    # when the kernel queued each packet (SO_TIMESTAMPNS), on time.perf_counter()'s clock (CLOCK_MONOTONIC, the same
    # in every process): a receiver that reads late does not make the packet late
    arrivals: list[float] = field(default_factory=list)


class UdpHub:
    def __init__(self, decrypt_every: int = 1, poll_s: float = 0.0) -> None:
        self.decrypt_every = max(1, decrypt_every)
        self.poll_s = poll_s
        self._poller: asyncio.Task[None] | None = None
        self.unmatched = 0
        self.last_arrival = 0.0
        self._streams: dict[int, HubStream] = {}
        self._sock: socket.socket | None = None
        self.port = 0

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RECEIVE_BUFFER)  # root: past rmem_max
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        self._sock = sock
        self.port = sock.getsockname()[1]
        if self.poll_s > 0:
            self._poller = asyncio.get_running_loop().create_task(self._poll())
        else:
            asyncio.get_running_loop().add_reader(sock, self._drain)

    async def _poll(self) -> None:
        while self._sock is not None:
            self._drain()
            await asyncio.sleep(self.poll_s)

    def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            self._poller = None
        if self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock)
            self._sock.close()
            self._sock = None

    def register(self, ssrc: int, verify: Callable[[bytes], None]) -> HubStream:
        stream = self._streams[ssrc] = HubStream(verify)
        return stream

    def forget(self, ssrc: int) -> None:
        self._streams.pop(ssrc, None)

    async def wait_drained(self, quiet_s: float = 0.3, timeout_s: float = 10.0) -> None:
        """Until nothing has arrived for `quiet_s` (the backlog in the socket is read), at most `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and time.perf_counter() - self.last_arrival < quiet_s:
            await asyncio.sleep(0.05)

    def _drain(self) -> None:
        sock = self._sock
        if sock is None:
            return
        buffer = bytearray(_DATAGRAM_MAX)
        view = memoryview(buffer)
        receive, unpack, streams, every, now = sock.recvmsg_into, _SEQUENCE_SSRC.unpack_from, self._streams, \
            self.decrypt_every, time.perf_counter
        buffers, timespec = [buffer], _TIMESPEC.unpack
        monotonic_minus_real = time.perf_counter() - time.time()  # the kernel stamps CLOCK_REALTIME
        while True:
            try:
                size, ancillary, _, addr = receive(buffers, _ANCILLARY)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # an ICMP error queued on the socket
                continue
            if size == PACKET_SIZE and buffer[0] == 0 and buffer[1] == 1:
                with contextlib.suppress(OSError):
                    sock.sendto(build_response(int.from_bytes(buffer[4:8], "big"), addr[0], addr[1]), addr)
                continue
            if size < _RTP_HEADER_SIZE:
                self.unmatched += 1
                continue
            sequence, ssrc = unpack(buffer)
            if (stream := streams.get(ssrc)) is None:
                self.unmatched += 1
                continue
            if stream.next_sequence >= 0 and sequence != stream.next_sequence:
                stream.sequence_gaps += 1
            stream.next_sequence = (sequence + 1) & 0xFFFF
            stream.received += 1
            if ancillary:
                seconds, nanoseconds = timespec(ancillary[0][2])
                stream.arrivals.append(seconds + nanoseconds * 1e-9 + monotonic_minus_real)
            else:
                stream.arrivals.append(now())
            if stream.received % every == 0:
                stream.verify(bytes(view[:size]))
        self.last_arrival = now()
