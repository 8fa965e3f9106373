"""A voice worker's frame batch -> one encrypted RTP packet per frame, in one loop (issue 11, the worker's hot path).

A batch holds one frame per link of the worker for one 20 ms tick ((u32 link id, u16 length, frame) records). Per
frame the loop does only what the packet needs: read the record in place (struct.unpack_from on the batch), DAVE
encrypt, pack the RTP header and the nonce, AEAD seal, join, `sock.send`, count. It calls none of
VoiceConnection.send_frame -> FrameSender.packet_for -> DaveAdapter.encrypt: each hop is a Python frame and a round
of attribute lookups on objects that, over 1,000 links, are cold in the cache at every tick.

Instead each link has a `_Lane` of the parts those methods would look up (bound methods, the packetizer, the
sender), made when first needed and made again when the connection's sender, socket or DAVE session changed (a new
voice session, a resume on a new socket). A frame the lane cannot take as-is — the connection is not speaking yet,
silence frames are playing out, DAVE is not ready, no sender, frames held before it — goes to the worker's general
path (`VoiceConnection.send_frame`, which handles every case, or held until the link is ready); both paths advance
the same packetizer and nonce counter, so they interleave freely and give the same bytes (tests/voice/test_batch.py
checks them against send_frame).

Reaches into VoiceConnection / FrameSender / DaveAdapter internals on purpose, as sender.py fuses its parts by hand.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Container
from typing import Any

from lavalink_py.voice.dave import SILENCE_FRAME
from lavalink_py.voice.rtp import OPUS_PAYLOAD_TYPE, SAMPLES_PER_FRAME

_RECORD = struct.Struct("!IH")  # link id, frame length (workers.py's _FRAME)
_HEADER = struct.Struct(">BBHII")
_TAIL = struct.Struct(">I")


class _Lane:
    __slots__ = ("conn", "dave", "encrypt", "nonce_pad", "packetizer", "seal", "send", "sender", "session", "ssrc",
                 "stats", "udp")

    def __init__(self, conn: Any) -> None:
        sender, udp, dave = conn._sender, conn._udp, conn.dave
        self.conn = conn
        self.sender = sender
        self.udp = udp
        self.dave = dave
        self.session = dave._session
        # None: transport encryption only (DAVE protocol 0), the frame is the payload
        self.encrypt: Callable[[bytes], bytes] | None = (
            dave._session.encrypt_opus if dave.protocol_version and dave._session is not None else None
        )
        self.packetizer = sender.packetizer
        self.ssrc = sender.packetizer.ssrc
        self.seal: Callable[[bytes, bytes, bytes], bytes] = sender._seal
        self.nonce_pad: bytes = sender._nonce_pad
        self.send: Callable[[bytes], int] = udp.sock.send
        self.stats = conn.stats

    def current(self, conn: Any) -> bool:
        """Still the connection's parts, and in the state where a frame needs nothing but the packet."""
        dave = self.dave
        return (
            conn._sender is self.sender and conn._udp is self.udp and self.udp.transport is not None
            and conn._speaking and conn._silence_task is None
            and dave._session is self.session and (self.encrypt is not None) == (dave.protocol_version != 0)
            and (self.encrypt is None or self.session.ready)
        )

    @staticmethod
    def possible(conn: Any) -> bool:
        return conn._sender is not None and conn._udp is not None and conn._udp.transport is not None


# The worker's handling of a frame the loop does not take itself (send_frame, or held while the link is not ready).
General = Callable[[int, Any, bytes], None]


def send_batch_each(
    body: bytes, connections: dict[int, Any], _lanes: dict[int, _Lane], _held: Container[int], general: General
) -> None:
    """The reference: every frame through `general` (what workers did before this loop; bench comparison via
    LAVALINK_VOICE_WORKER_SEND=each)."""
    view = memoryview(body)
    offset, end = 0, len(body)
    while offset < end:
        link_id, length = _RECORD.unpack_from(view, offset)
        offset += _RECORD.size
        if (conn := connections.get(link_id)) is not None:
            general(link_id, conn, body[offset : offset + length])
        offset += length


def _renewed(link_id: int, conn: Any, lanes: dict[int, _Lane]) -> _Lane | None:
    lane = _Lane(conn) if _Lane.possible(conn) else None
    if lane is None or not lane.current(conn):
        lanes.pop(link_id, None)
        return None
    lanes[link_id] = lane
    return lane


def send_batch(
    body: bytes, connections: dict[int, Any], lanes: dict[int, _Lane], held: Container[int], general: General
) -> None:
    """Sends every frame of one batch to its link's connection (unknown link ids are skipped). A frame of a link with
    frames `held` (waiting for it to be ready again, workers.py), or that its lane cannot take, goes to `general`."""
    view = memoryview(body)
    offset, end = 0, len(body)
    unpack, record_size = _RECORD.unpack_from, _RECORD.size
    pack_header, pack_tail = _HEADER.pack, _TAIL.pack
    silence, join = SILENCE_FRAME, b"".join
    get_conn, get_lane = connections.get, lanes.get
    while offset < end:
        link_id, length = unpack(view, offset)
        offset += record_size
        frame = body[offset : offset + length]
        offset += length
        conn = get_conn(link_id)
        if conn is None:
            continue
        lane = get_lane(link_id)
        if link_id in held or (
            (lane is None or lane.conn is not conn or not lane.current(conn))
            and (lane := _renewed(link_id, conn, lanes)) is None
        ):
            general(link_id, conn, frame)  # send_frame (it handles, counts and recovers every case) or held
            continue
        encrypt = lane.encrypt
        try:
            payload = frame if encrypt is None or frame == silence else encrypt(frame)
        except ValueError:  # as DaveAdapter.encrypt + send_frame count it: withheld, time advances
            lane.dave.stats.encrypt_failures += 1
            lane.stats.frames_withheld += 1
            payload = None
        except RuntimeError:  # as send_frame counts it: failed, nothing advances
            lane.stats.send_failures += 1
            continue
        packetizer = lane.packetizer
        timestamp = packetizer.timestamp
        packetizer.timestamp = (timestamp + SAMPLES_PER_FRAME) & 0xFFFFFFFF
        if payload is None:
            continue
        sequence = packetizer.sequence
        packetizer.sequence = (sequence + 1) & 0xFFFF
        header = pack_header(0x80, OPUS_PAYLOAD_TYPE, sequence, timestamp, lane.ssrc)
        sender = lane.sender
        nonce = sender._nonce
        sender._nonce = (nonce + 1) & 0xFFFFFFFF
        tail = pack_tail(nonce)
        try:
            lane.send(join((header, lane.seal(tail + lane.nonce_pad, payload, header), tail)))
        except (OSError, ValueError, RuntimeError):  # a full socket buffer, an ICMP error; a sealing failure
            lane.stats.send_failures += 1
            continue
        lane.stats.packets_sent += 1
