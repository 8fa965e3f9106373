"""One decode and one encode for many players of the same live stream (a radio, a Twitch channel).

Players that play the same live source (same URL and options) with the same volume and filters each get a
`SharedTap` on one `SharedStream`, which runs the one `TrackStream` (one connection, one decoder, one encoder, or
passthrough). Their voice sends stay their own (sequence, SSRC, keys): only the encoded frames are shared.

The frames are held once: the share's `TrackStream.buffer`, from the oldest frame a tap has still to play to the
newest made (`TrackStream.sent` is the serial of its first). A tap is only a read index into it (`SharedTap.next`,
a serial); its `buffer` (`TapFrames`) is the view `Playback` reads as it reads a `TrackStream`'s, so the producer
hands nothing to the taps and a tick costs a tap an index step. The last tap to leave the oldest frame drops it.
A share with one tap is therefore exactly an unshared live stream: the same buffer, `sent` its listener's, so a
volume/filter change is made in place (`TrackStream.restyle`, heard within RESTYLE_KEEP_FRAMES) and the share
takes the key of its new settings (`ShareRegistry.rekey`) for the players that come later.

Sequence: `ShareRegistry.join` (loop) finds or makes the stream for the key; the new tap starts at the frame the
most advanced member plays next (their live edge, in step with them) -> the playback asks for frames through
`SharedStream.request` (loop; one producer job at a time, whoever asks; the others wait on the same future) -> the
job fills the `TrackStream` a chunk at a time, so a joiner or a starved tap waits at most a chunk -> a tap whose
player does not consume (paused, voice gone) has its oldest frames dropped when the buffer lacks room for a
request (`frames_dropped`), rather than hold the others back (a live stream plays on) -> the source's end or
failure reaches every tap as its own outcome, so each player reports its own TrackException/TrackEnd ->
`SharedTap.leave` (a stop, a new track, a destroy, a volume/filter change of a player that is not alone, which
moves it to the share of its new settings) leaves; the last one out closes the stream.

Threads: taps, joins, leaves and the dropping of played frames are the loop's alone (the left end of the deque and
`TrackStream.sent`, as a lone TrackStream's consumer); the producer job only appends on the right (`fill`) and a
restyle only rewrites the right (`split_tail`), both under the stream's own lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING

from lavalink_py.audio.frames import FRAME_MS, SAMPLE_RATE
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.sources.base import StreamSpec

if TYPE_CHECKING:
    from collections import deque

    from lavalink_py.audio.filters.chain import FilterPlan
    from lavalink_py.audio.frame_loss import FillJob
    from lavalink_py.audio.overload import ComplexityDial, EncoderLevel
    from lavalink_py.audio.pipeline import Rewind, TrackStream
    from lavalink_py.audio.results import StreamOutcome

log = logging.getLogger(__name__)

# Frames made per fill before the taps can read them: a joiner or a starved tap waits at most this long for a live
# source delivering in real time, where a whole batch (1 s) would hold them.
SHARE_CHUNK_FRAMES = 10

NO_LIMIT = 1 << 62
ShareKey = tuple[str, tuple[tuple[str, str], ...], int, "FilterPlan | None"]


class TapFrames:
    """A tap's frames to play: the share's buffer from the tap's read index on (what Playback reads as a buffer)."""

    __slots__ = ("_frames", "_share", "_stream", "_tap", "capacity")

    def __init__(self, tap: SharedTap, share: SharedStream) -> None:
        self._tap = tap
        self._share = share
        self._stream = share.stream
        self._frames: deque[bytes] = share.stream.buffer.frames  # the same deque for the stream's life
        self.capacity = share.stream.buffer.capacity

    def __len__(self) -> int:
        tap = self._tap
        held = len(self._frames) - tap.next + self._stream.sent
        left = tap.limit - tap.next
        held = held if held < left else left
        return held if held > 0 else 0

    def free(self) -> int:
        return self.capacity - len(self)

    def pop(self) -> bytes | None:
        """Loop: the tap's next frame, None when it has none yet (or it is being made again by a restyle)."""
        tap = self._tap
        stream = self._stream
        serial = tap.next
        if serial >= tap.limit:
            return None
        try:
            frame = self._frames[serial - stream.sent]
        except IndexError:
            return None
        tap.next = serial + 1
        if self._share.alone:
            # Alone, the tap consumes as a lone TrackStream's player does: `sent` its own, what restyle reads.
            self._frames.popleft()
            stream.sent += 1
        return frame

    def split_tail(self, keep: int, before: int = 3) -> tuple[list[bytes], list[bytes]]:
        """Loop (a source that died): play at most `keep` more frames. The frames stay for the other taps."""
        tap = self._tap
        tap.limit = tap.next + min(keep, len(self))
        return [], []


class SharedTap:
    """One player's view of a shared live stream: what `Playback` reads of a `TrackStream`, fed by the share."""

    def __init__(self, share: SharedStream, spec: StreamSpec, start_ms: int, end_ms: int | None, serial: int) -> None:
        self.share = share
        self.stream = share.stream
        self.spec = spec
        self.start_ms = max(0, start_ms)  # the player's position when it joined: its own time line
        self.end_ms = end_ms
        self.next = serial  # the share's serial of the next frame this tap plays
        self.joined_at = serial
        self.limit = NO_LIMIT  # a dead source: no frame from this serial on
        self.buffer = TapFrames(self, share)
        self.network = share.stream.network
        # Loop-side bookkeeping, as TrackStream's.
        self.sent = 0
        self.started = False
        self.failure_reported = False
        self.cancelled = False
        self.ended = share.stream.ended  # set by the producer job after the last frames (per tap: a tick reads it)
        self.fill_future: Future[None] | None = None
        self.frames_dropped = 0  # live frames this tap's player did not take in time (paused, no voice)
        # Its refills are the share's one job, so a miss counts as the source's (frame_loss.py).
        self.fill_job: FillJob | None = None

    @property
    def outcome(self) -> StreamOutcome | None:
        return self.stream.outcome

    @property
    def filters(self) -> FilterPlan | None:
        return self.stream.filters

    @property
    def passthrough(self) -> bool:
        return self.stream.passthrough

    @property
    def speed(self) -> float:
        return self.stream.speed

    @property
    def encoder_complexity(self) -> int | None:
        return self.stream.encoder_complexity

    @property
    def encoder_level(self) -> EncoderLevel | None:
        return self.stream.encoder_level

    @property
    def rewinds(self) -> tuple[Rewind, ...]:
        return tuple(self.stream.rewinds)

    @property
    def restyles(self) -> int:
        return self.stream.restyles

    @property
    def restyled_at(self) -> int:
        return self.stream.restyled_at - self.joined_at  # on this tap's count (`sent`)

    @property
    def history_bytes(self) -> int:
        """The share's source history, counted for its first tap only (one copy, whoever reads the sum)."""
        taps = self.share.taps
        return self.stream.history_bytes if taps and taps[0] is self else 0

    def heard_ms(self) -> int:
        """Loop side: the position at the next frame, on this player's own time line (from its join point), in source
        time across the share's in-place timescale changes (`TrackStream.marks`)."""
        stream = self.stream
        if stream.marks:
            heard = stream.source_at(self.joined_at + self.sent) - stream.source_at(self.joined_at)
            return self.start_ms + heard * 1000 // SAMPLE_RATE
        return self.start_ms + round(self.sent * FRAME_MS * self.speed)

    @property
    def alone(self) -> bool:
        taps = self.share.taps
        return len(taps) == 1 and taps[0] is self

    def request_fill(self, pool: Executor, frames: int) -> Future[None]:
        """Loop: more frames wanted; joins the share's running producer job if there is one."""
        return self.share.request(pool, frames)

    def leave(self) -> TrackStream | None:
        """Loop: this tap goes; returns the share's stream when it was the last (the caller closes it off the loop)."""
        self.cancelled = True
        return self.share.leave(self)


class SharedStream:
    """The one TrackStream behind the taps of one key; its buffer holds the frames every tap reads."""

    def __init__(self, registry: ShareRegistry, key: ShareKey, stream: TrackStream) -> None:
        self.registry = registry
        self.key = key
        self.stream = stream
        self.taps: list[SharedTap] = []
        self.alone = False  # one tap: it drops each frame it plays (several: dropped when room is wanted)
        self.closed = False  # no tap left or the source ended: a later join makes a new share
        self._future: Future[None] | None = None

    def join(self, spec: StreamSpec, start_ms: int, end_ms: int | None) -> SharedTap | None:
        """Loop: a new tap starting with the frame the most advanced member plays next; None once closed."""
        if self.closed:
            return None
        serial = max((t.next for t in self.taps), default=self.stream.sent)
        tap = SharedTap(self, spec, start_ms, end_ms, serial)
        self.taps.append(tap)
        self.alone = len(self.taps) == 1
        # The producer marks every tap it finds once the source has ended; one that joined meanwhile reads it here.
        tap.ended = self.stream.ended
        return tap

    def leave(self, tap: SharedTap) -> TrackStream | None:
        """Loop: the tap goes; the last one out closes the share (and gets its stream back to close)."""
        if tap in self.taps:
            self.taps.remove(tap)
        self.alone = len(self.taps) == 1
        if self.taps:
            self.drop_played()
            return None
        if self.closed and self.stream.ended:
            return None
        self.closed = True
        self.registry.discard(self)
        self.stream.cancelled = True
        return self.stream

    def drop_played(self) -> None:
        """Loop: drop the frames every tap has played."""
        if not self.taps:
            return
        stream = self.stream
        frames = stream.buffer.frames
        for _ in range(min(t.next for t in self.taps) - stream.sent):
            try:
                frames.popleft()
            except IndexError:
                break
            stream.sent += 1

    def request(self, pool: Executor, frames: int) -> Future[None]:
        """Loop only (so at most one producer job runs): a job for `frames`, or the one already running."""
        future = self._future
        if future is None or future.done():
            self.drop_played()
            self._make_room(min(frames, self.stream.buffer.capacity // 2))
            future = self._future = pool.submit(self._produce, frames)
        return future

    def _make_room(self, wanted: int) -> None:
        """Loop: the buffer full of frames a lagging tap (paused, no voice) has not played: it loses its oldest, up
        to where the most advanced tap is, so the others play on."""
        short = wanted - self.stream.buffer.free()
        if short <= 0 or not self.taps:
            return
        floor = min(self.stream.sent + short, max(t.next for t in self.taps))
        for tap in self.taps:
            if tap.next < floor:
                tap.frames_dropped += floor - tap.next
                self.registry.frames_dropped += floor - tap.next
                tap.next = floor
        self.drop_played()

    def _produce(self, frames: int) -> None:
        """Pool thread: up to `frames` (as many as the buffer has room for), a chunk at a time."""
        stream = self.stream
        made = 0
        while made < frames and not stream.ended and not self.closed:
            want = min(SHARE_CHUNK_FRAMES, frames - made, stream.buffer.free())
            if want <= 0:
                break
            before = stream.made
            stream.fill(want)
            got = stream.made - before
            made += got
            if not got and not stream.ended:
                break  # cancelled under us
        if stream.ended and not self.closed:
            self.closed = True
            for tap in list(self.taps):
                tap.ended = True
            self.registry.discard(self)


class ShareRegistry:
    """The node's live shares by key (source URL and options, volume, filters)."""

    def __init__(self, settings: EngineSettings, dial: ComplexityDial | None = None) -> None:
        self.settings = settings
        self.dial = dial  # the overload policy's complexity, which the shared encoders follow as any other
        self._shares: dict[ShareKey, SharedStream] = {}
        self._lock = threading.Lock()  # the loop joins and rekeys, a producer job discards an ended share
        # Every tap's dropped frames, closed taps' included (lavalink_shared_stream_frames_dropped_total); the loop's.
        self.frames_dropped = 0

    def __len__(self) -> int:
        return len(self._shares)

    def join(
        self, spec: StreamSpec, start_ms: int, end_ms: int | None, volume: int, filters: FilterPlan | None
    ) -> SharedTap | None:
        """Loop: a tap on the share of this key (made if needed); None when the key cannot be shared."""
        key = _key(spec, volume, filters)
        if not _hashable(key) or spec.open_file is not None:
            return None  # a plugin's own file object cannot be read by two players; unhashable filter params
        with self._lock:
            share = self._shares.get(key)
        if share is not None:
            tap = share.join(spec, start_ms, end_ms)
            if tap is not None:
                return tap
        share = SharedStream(self, key, _new_stream(spec, self.settings, volume, filters, self.dial))
        with self._lock:
            self._shares[key] = share
        return share.join(spec, start_ms, end_ms)

    def rekey(self, share: SharedStream, volume: int, filters: FilterPlan | None) -> None:
        """Loop: a lone tap's share changed its settings in place: later players of those settings join it (unless
        another share has them already: then it goes on unlisted, as a player's own stream)."""
        self.discard(share)
        key = _key(share.stream.spec, volume, filters)
        with self._lock:
            share.key = key
            if _hashable(key) and key not in self._shares and not share.closed:
                self._shares[key] = share

    def discard(self, share: SharedStream) -> None:
        """Any thread (the producer job when the source ends)."""
        with self._lock:
            if self._shares.get(share.key) is share:
                del self._shares[share.key]


def _key(spec: StreamSpec, volume: int, filters: FilterPlan | None) -> ShareKey:
    return (spec.url, tuple(sorted(spec.options.items())), volume, filters)


def _hashable(key: Hashable) -> bool:
    try:
        hash(key)
    except TypeError:
        return False
    return True


def _new_stream(
    spec: StreamSpec, settings: EngineSettings, volume: int, filters: FilterPlan | None, dial: ComplexityDial | None
) -> TrackStream:
    from lavalink_py.audio.pipeline import TrackStream

    # Position 0 of the share is where it opened; each tap keeps its own time line (SharedTap.start_ms).
    return TrackStream(spec, start_ms=0, end_ms=None, settings=settings, volume=volume, filters=filters, dial=dial)
