"""One decode and one encode for many players of the same live stream (a radio, a Twitch channel).

Players that play the same live source (same URL and options) with the same volume and filters each get a
`SharedTap`: their own frame buffer, fed by one `SharedStream` that runs the one `TrackStream` (one connection,
one decoder, one encoder, or passthrough). Their voice sends stay their own (sequence, SSRC, keys): only the
encoded frames are shared, as the same immutable `bytes`.

Sequence: `ShareRegistry.join` (loop) finds or makes the stream for the key, and the new tap starts with the
frames its members are about to play (it joins at their live edge, in step with them) -> the playback asks for
frames through `SharedStream.request` (one producer job at a time, whoever asks; the others wait on the same
future) -> the job fills the `TrackStream` a chunk at a time and hands each chunk to every tap -> a tap whose
player does not consume (paused, voice gone) drops its oldest frames rather than hold the others back (a live
stream plays on) -> the source's end or failure reaches every tap as its own outcome, so each player reports its
own TrackException/TrackEnd -> `SharedTap.close` (a stop, a new track, a destroy, a volume/filter change that
moves the player to another share) leaves; the last one out closes the stream.

Locks: the producer job alone calls `TrackStream.fill` (the registry hands out one job at a time from the loop),
so `_lock` guards only the hand-over to taps, joins and leaves, never a network read.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Hashable
from concurrent.futures import Executor, Future
from typing import TYPE_CHECKING

from lavalink_py.audio.frames import FRAME_MS, FrameBuffer
from lavalink_py.audio.results import StreamOutcome
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.sources.base import StreamSpec

if TYPE_CHECKING:
    from lavalink_py.audio.filters.chain import FilterPlan
    from lavalink_py.audio.frame_loss import FillJob
    from lavalink_py.audio.overload import ComplexityDial
    from lavalink_py.audio.pipeline import Rewind, TrackStream

log = logging.getLogger(__name__)

# Frames made per fill before they are handed to the taps: a joiner or a starved tap waits at most this long for a
# live source delivering in real time, where a whole batch (1 s) would hold them.
SHARE_CHUNK_FRAMES = 10

ShareKey = tuple[str, tuple[tuple[str, str], ...], int, "FilterPlan | None"]


class SharedTap:
    """One player's view of a shared live stream: what `Playback` reads of a `TrackStream`, fed by the share."""

    def __init__(self, share: SharedStream, spec: StreamSpec, start_ms: int, end_ms: int | None) -> None:
        self.share = share
        self.spec = spec
        self.start_ms = max(0, start_ms)  # the player's position when it joined: its own time line
        self.end_ms = end_ms
        self.buffer = FrameBuffer(share.settings.buffer_frames)
        self.network = share.stream.network
        self.filters = share.stream.filters
        self.wanted_volume = share.stream.volume
        # Loop-side bookkeeping, as TrackStream's.
        self.sent = 0
        self.started = False
        self.failure_reported = False
        self.fill_future: Future[None] | None = None
        # Written by the producer job (after the frames they follow) or by close().
        self.ended = False
        self.outcome: StreamOutcome | None = None
        self.cancelled = False
        self.frames_dropped = 0  # live frames this tap's player did not take in time (paused, no voice)
        # What Playback reads of a TrackStream's in-place changes and refill timing: a tap never changes in place
        # (it moves to another share) and its refills are the share's one job, so a miss counts as the source's.
        self.fill_job: FillJob | None = None
        self.rewinds: tuple[Rewind, ...] = ()
        self.restyles = 0
        self.restyled_at = 0
        self.history_bytes = 0

    @property
    def passthrough(self) -> bool:
        return self.share.stream.passthrough

    @property
    def speed(self) -> float:
        return 1.0 if self.filters is None else self.filters.speed

    def heard_ms(self) -> int:
        """Loop side: the position at the next frame, on this player's own time line (from its join point)."""
        return self.start_ms + round(self.sent * FRAME_MS * self.speed)

    @property
    def encoder_complexity(self) -> int | None:
        return self.share.stream.encoder_complexity

    def request_fill(self, pool: Executor, frames: int) -> Future[None]:
        """Loop: more frames wanted; joins the share's running producer job if there is one."""
        return self.share.request(pool, frames)

    def push(self, frames: list[bytes]) -> None:
        """Producer (under the share's lock): the share's new frames; the oldest go when the buffer is full."""
        over = len(self.buffer) + len(frames) - self.buffer.capacity
        if over > 0:
            dropped = self.buffer.drop_oldest(over)
            self.frames_dropped += dropped
            self.share.registry.count_dropped(dropped)
        self.buffer.extend(frames)

    def finish(self, outcome: StreamOutcome) -> None:
        self.outcome = outcome
        self.ended = True

    def close(self) -> None:
        self.cancelled = True
        self.share.leave(self)


class SharedStream:
    """The one TrackStream behind the taps of one key, and the frames it made lately (for joiners)."""

    def __init__(self, registry: ShareRegistry, key: ShareKey, stream: TrackStream, settings: EngineSettings) -> None:
        self.registry = registry
        self.key = key
        self.stream = stream
        self.settings = settings
        self.taps: list[SharedTap] = []
        self.closed = False  # no tap left or the source ended: a later join makes a new share
        self.frames_made = 0
        self._recent: deque[bytes] = deque(maxlen=settings.buffer_frames)
        self._lock = threading.Lock()
        self._future: Future[None] | None = None

    def join(self, spec: StreamSpec, start_ms: int, end_ms: int | None) -> SharedTap | None:
        """Loop: a new tap starting with the frames the members are about to play; None once closed."""
        tap = SharedTap(self, spec, start_ms, end_ms)
        with self._lock:
            if self.closed:
                return None
            members = [t for t in self.taps if not t.cancelled]
            depth = min((len(t.buffer) for t in members), default=len(self._recent))
            if depth:
                tap.buffer.extend(list(self._recent)[-depth:])
            self.taps.append(tap)
        return tap

    def leave(self, tap: SharedTap) -> None:
        """Any thread: the tap goes; the last one out closes the source."""
        with self._lock:
            if tap in self.taps:
                self.taps.remove(tap)
            last = not self.taps and not self.closed
            if last:
                self.closed = True
        if last:
            self.registry.discard(self)
            self.stream.cancelled = True
            self.stream.close()

    def request(self, pool: Executor, frames: int) -> Future[None]:
        """Loop only (so at most one producer job runs): a job for `frames`, or the one already running."""
        future = self._future
        if future is None or future.done():
            future = self._future = pool.submit(self._produce, frames)
        return future

    def _produce(self, frames: int) -> None:
        """Pool thread: up to `frames` (as much as the emptiest tap has room for), handed out a chunk at a time."""
        stream = self.stream
        made = 0
        while made < frames and not stream.ended and not self.closed:
            with self._lock:
                room = max((t.buffer.free() for t in self.taps), default=0)
            want = min(SHARE_CHUNK_FRAMES, frames - made, room)
            if want <= 0:
                return
            stream.fill(want)
            chunk = stream.buffer.take_all()
            made += len(chunk)
            self._hand_out(chunk)
            if not chunk and not stream.ended:
                return  # cancelled under us

    def _hand_out(self, chunk: list[bytes]) -> None:
        stream = self.stream
        with self._lock:
            self.frames_made += len(chunk)
            self._recent.extend(chunk)
            for tap in self.taps:
                tap.push(chunk)
            ended = stream.ended and not self.closed
            if ended:
                self.closed = True
                outcome = stream.outcome
                assert outcome is not None
                for tap in self.taps:
                    tap.finish(outcome)
        if ended:
            self.registry.discard(self)


class ShareRegistry:
    """The node's live shares by key (source URL and options, volume, filters)."""

    def __init__(self, settings: EngineSettings, dial: ComplexityDial | None = None) -> None:
        self.settings = settings
        self.dial = dial  # the overload policy's complexity, which the shared encoders follow as any other
        self._shares: dict[ShareKey, SharedStream] = {}
        self._lock = threading.Lock()
        # Every tap's dropped frames, closed taps' included (lavalink_shared_stream_frames_dropped_total).
        self.frames_dropped = 0

    def count_dropped(self, frames: int) -> None:
        """Any producer thread: a tap dropped its oldest frames (several shares' producers may call at once)."""
        with self._lock:
            self.frames_dropped += frames

    def __len__(self) -> int:
        return len(self._shares)

    def join(
        self, spec: StreamSpec, start_ms: int, end_ms: int | None, volume: int, filters: FilterPlan | None
    ) -> SharedTap | None:
        """Loop: a tap on the share of this key (made if needed); None when the key cannot be shared."""
        key: ShareKey = (spec.url, tuple(sorted(spec.options.items())), volume, filters)
        if not _hashable(key) or spec.open_file is not None:
            return None  # a plugin's own file object cannot be read by two players; unhashable filter params
        with self._lock:
            share = self._shares.get(key)
        if share is not None:
            tap = share.join(spec, start_ms, end_ms)
            if tap is not None:
                return tap
        share = SharedStream(self, key, _new_stream(spec, self.settings, volume, filters, self.dial), self.settings)
        with self._lock:
            self._shares[key] = share
        return share.join(spec, start_ms, end_ms)

    def discard(self, share: SharedStream) -> None:
        with self._lock:
            if self._shares.get(share.key) is share:
                del self._shares[share.key]


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
