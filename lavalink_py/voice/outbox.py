"""PacketOutbox: the voice packets built during one frame-clock tick, sent at the start of the next in a tight loop.

Building a packet (DAVE encrypt, RTP header, AEAD) is most of a player's per-tick cost; sending it is one
`sock.send`. Sent as they are built, the 100th player's packet leaves 100 builds after the tick began, and any
hiccup in those builds (another player's refill, a GC pass) moves its send time from one tick to the next: that
spread is what the later players' send-interval jitter is made of (issue 11). So a connection given an outbox
builds the packet for the frame it is handed and keeps it (`VoiceConnection.send_frame`); the clock's next tick
first calls `flush`, which only sends, every player's packet within a few hundred µs of the wake-up. A frame is
heard one tick (20 ms) after the playback handed it over, on the clock's beat.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Prepared(Protocol):
    def send_prepared(self) -> None:
        """Send the packet built since the last flush, if any (rebuilt first if its connection changed)."""
        ...


class PacketOutbox:
    __slots__ = ("_waiting",)

    def __init__(self) -> None:
        self._waiting: list[Prepared] = []

    def add(self, connection: Prepared) -> None:
        self._waiting.append(connection)

    def __len__(self) -> int:
        return len(self._waiting)

    def flush(self) -> None:
        """Sends every packet built since the last flush, in the order they were built."""
        waiting, self._waiting = self._waiting, []
        for connection in waiting:
            try:
                connection.send_prepared()
            except Exception:  # a bug in one connection must not cost the ones after it their packet
                log.exception("voice outbox: sending %r failed", connection)
