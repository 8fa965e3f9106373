"""Playback: what the Player drives. One per player; the node's FrameClock calls `tick` every 20 ms.

A new track, a seek or a volume/filter change builds a new TrackStream and keeps the old one sounding until
the new one has its first frame, so the sink never sees a gap. Volume and filter changes restart at the
current position (skipping the frames the old stream played meanwhile), which is also how passthrough
switches to encoding and back the moment the settings change.

Switch artefacts: passthrough -> encoding decodes from a container seek to the current position (backwards to
the page/keyframe before it, samples before the position discarded), so the decoder is warm by the first sent
frame. The listener's decoder, though, carries state from the source's encoder into our encoder's first frame
(and back on the return switch): at most one 20 ms frame may carry a faint click; no frame is missing.
A live stream (isStream: a radio, or any HTTP body without a length) cannot be reopened at a position, so it
changes in place: a volume or filter change redoes the frames already buffered past the next RESTYLE_KEEP_FRAMES
from the source the stream kept (restyle.py, pipeline.py `TrackStream.restyle`), leaving or rejoining
passthrough there, so it is heard within 200 ms rather than after the whole buffer, with no gap and no click.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Protocol

from lavalink_py.audio.clock import IDLE, NULLED, SENT
from lavalink_py.audio.filters.chain import FilterPlan
from lavalink_py.audio.frame_loss import FillJob, PlayerLoss, standalone_loss
from lavalink_py.audio.frames import FRAME_MS
from lavalink_py.audio.overload import ComplexityDial, EncoderLevel
from lavalink_py.audio.results import EndReason, StreamFailure
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.audio.shared import SharedTap, ShareRegistry
from lavalink_py.audio.sinks import FrameSink
from lavalink_py.sources.base import StreamSpec

if TYPE_CHECKING:
    # The pipeline pulls in PyAV, numpy and libopus: imported by the first stream, not at start-up (issue 11);
    # AudioEngine warms it on its io pool when the first playback is made.
    from typing import TypeAlias

    from lavalink_py.audio.pipeline import Rewind, TrackStream

    Stream: TypeAlias = TrackStream | SharedTap

log = logging.getLogger(__name__)

# After a source dies mid-track, at most this much of what it had delivered still plays (3 s) before
# TrackEndEvent loadFailed: the client hears of the failure within 5 s of it, whatever the buffer size.
DEAD_SOURCE_PLAYOUT_FRAMES = 150
# A live stream's volume/filter change is made from the frame after these on, which fades in from the old sound:
# the new one is heard in full 200 ms after the request.
RESTYLE_KEEP_FRAMES = 9


class PlaybackListener(Protocol):
    """Callbacks on the event loop, always about the track of the latest `start`."""

    def on_track_start(self) -> None: ...
    def on_track_end(self, reason: EndReason) -> None: ...
    def on_track_exception(self, failure: StreamFailure) -> None: ...
    def on_track_stuck(self, threshold_ms: int) -> None: ...


class Playback:
    def __init__(
        self,
        settings: EngineSettings,
        cpu_pool: Executor,
        io_pool: Executor,
        listener: PlaybackListener | None = None,
        *,
        loss: PlayerLoss | None = None,
        dial: ComplexityDial | None = None,
        shares: ShareRegistry | None = None,
    ) -> None:
        self._settings = settings
        self._shares = shares  # live streams of the same source and settings share one decode/encode (shared.py)
        self._cpu = cpu_pool
        self._io = io_pool
        self.listener = listener
        self.sink: FrameSink | None = None
        self._current: Stream | None = None
        self._pending: Stream | None = None
        self._pending_skip = 0  # frames of the pending stream already played by the old one
        self._pending_since = 0  # current.sent when pending was made
        self._volume = 100
        self._filters: FilterPlan | None = None
        self._paused = False
        self._speaking = False
        self._starved_ticks = 0
        self._stuck_reported = False
        self._stuck_ticks = max(1, settings.stuck_threshold_ms // FRAME_MS)
        # Refill once a batch fits, or at half-empty when the buffer is smaller than two batches.
        capacity = settings.buffer_frames
        self._refill_below = capacity - max(1, min(settings.batch_frames, capacity // 2))
        self.frames_sent = 0
        self.frames_nulled = 0
        # Every lost frame by cause (frame_loss.py); the engine's shares its totals and the clock's skipped ticks.
        self.loss = loss if loss is not None else standalone_loss()
        self._dial = dial  # the overload policy's Opus complexity (overload.py), None: always opusEncodingQuality
        self._playing = False  # the last tick owed a frame (sent or nulled)
        # The current stream (and its count of in-place changes), once its buffer filled up; until then, the frames
        # it missed while filling (its start-up grace: see `_filling`).
        self._filled_stream: tuple[Stream, int] | None = None
        self._filling_stream: tuple[Stream, int] | None = None
        self._filling_missed = 0

    # ---- control (event loop) ----------------------------------------------------------------------------
    def start(self, spec: StreamSpec, start_ms: int = 0, end_ms: int | None = None) -> None:
        """Play `spec` from `start_ms`; replaces any track without a gap in the sink."""
        self._swap_pending(self._new_stream(spec, start_ms, end_ms), skip=False)
        self._starved_ticks = 0
        self._stuck_reported = False

    def stop(self) -> None:
        """Stop without callbacks (the Player emits TrackEnd stopped/replaced/cleanup itself)."""
        for stream in (self._current, self._pending):
            if stream is not None:
                self._close(stream)
        self._current = self._pending = None
        self._silence()

    def pause(self) -> None:
        self._paused = True
        self._silence()

    def resume(self) -> None:
        self._paused = False

    def seek(self, position_ms: int) -> None:
        target = self._target
        if target is not None:
            self._swap_pending(self._new_stream(target.spec, position_ms, target.end_ms), skip=False)

    def set_end_time(self, end_ms: int | None) -> None:
        """An earlier endTime applies in place: the next tick at or past it ends the track (at once when it has
        passed already), with no reopen. A later or no endTime needs frames the stream never made: reopen here,
        except on a live stream, which cannot be reopened at a position and reads on past its endTime instead."""
        target = self._target
        if target is None:
            return
        later = end_ms is None or (target.end_ms is not None and end_ms > target.end_ms)
        if later and not target.spec.is_live:
            if end_ms != target.end_ms:
                self._swap_pending(self._new_stream(target.spec, self.position_ms, end_ms), skip=True)
            return
        for stream in (self._current, self._pending):
            if stream is not None:
                stream.end_ms = end_ms  # the producer stops there too (an int store: safe across the thread)

    def set_volume(self, volume: int) -> None:
        if not 0 <= volume <= 1000:
            raise ValueError(f"volume must be 0..1000, got {volume}")
        if volume != self._volume:
            self._volume = volume
            self._restart_here()

    def set_filters(self, filters: FilterPlan | None) -> None:
        """None: no filter alters the audio (Opus passthrough possible again)."""
        if filters is not self._filters:
            self._filters = filters
            self._restart_here()

    def attach(self, sink: FrameSink) -> None:
        self.sink = sink

    def detach(self) -> None:
        self._silence()
        self.sink = None

    # ---- state ---------------------------------------------------------------------------------------------
    @property
    def position_ms(self) -> int:
        if self._pending is not None and not self._pending_skip_mode:
            return self._pending.start_ms
        if self._current is None:
            return 0
        # Timescale: a sent frame stands for `speed` frames of the source, whose time Lavalink reports.
        return self._current.heard_ms()

    @property
    def is_playing(self) -> bool:
        return self._target is not None and not self._paused

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def volume(self) -> int:
        return self._volume

    @property
    def passthrough(self) -> bool:
        """True while the frames sent are the source's own Opus packets."""
        return self._current is not None and self._current.passthrough

    @property
    def buffered_frames(self) -> int:
        return 0 if self._current is None else len(self._current.buffer)

    @property
    def rewinds(self) -> list[Rewind]:
        """The current live stream's last in-place changes (when each was asked, begun and heard)."""
        return [] if self._current is None else list(self._current.rewinds)

    @property
    def history_bytes(self) -> int:
        """What the current live stream keeps of its source to redo its buffered frames on a change."""
        return 0 if self._current is None else self._current.history_bytes

    @property
    def encoding_fill(self) -> float | None:
        """How full the buffer of the stream being encoded and played is (0-1): what the overload policy watches.
        None while nothing is encoded (passthrough, opening, ended) and while a stream fills up after its start, a
        seek or a live stream's in-place change (which takes its buffer back: all three start nearly empty by
        design), unless it has played a whole buffer's worth without filling."""
        current = self._current
        if current is None or not current.started or current.ended or current.passthrough:
            return None
        if self._filling(current):
            return None
        return len(current.buffer) / current.buffer.capacity

    def _filling(self, current: Stream) -> bool:
        """The start-up grace: True while `current` fills up for the first time after its start, a seek or a live
        stream's in-place change (all three start nearly empty by design, and a dozen tracks started at once queue
        their first refills behind each other), until it reaches its refill mark once or has owed a whole buffer's
        worth of ticks (sent or missed) without getting there, which is falling behind, not filling up."""
        key = (current, current.restyles)
        if key == self._filled_stream:
            return False
        if key != self._filling_stream:
            self._filling_stream, self._filling_missed = key, 0
        owed = current.sent - current.restyled_at + self._filling_missed
        if len(current.buffer) < self._refill_below and owed < current.buffer.capacity:
            return True
        self._filled_stream = key
        return False

    @property
    def encoder_complexity(self) -> int | None:
        current = self._current
        return None if current is None else current.encoder_complexity

    @property
    def encoder_level(self) -> EncoderLevel | None:
        """The current stream's encoder settings (the overload policy's step); None while nothing is encoded."""
        current = self._current
        return None if current is None else current.encoder_level

    @property
    def _target(self) -> Stream | None:
        return self._pending if self._pending is not None else self._current

    @property
    def _pending_skip_mode(self) -> bool:
        return self._pending_skip < 0

    # ---- internals -----------------------------------------------------------------------------------------
    def _new_stream(self, spec: StreamSpec, start_ms: int, end_ms: int | None) -> Stream:
        from lavalink_py.audio.pipeline import TrackStream

        if spec.is_live and self._shares is not None:
            tap = self._shares.join(spec, start_ms, end_ms, self._volume, self._filters)
            if tap is not None:
                self._schedule(tap, self._io, self._settings.first_batch_frames)
                return tap
        stream = TrackStream(
            spec,
            start_ms=start_ms,
            end_ms=end_ms,
            settings=self._settings,
            volume=self._volume,
            filters=self._filters,
            dial=self._dial,
        )
        self._schedule(stream, self._io, self._settings.first_batch_frames)
        return stream

    def _restart_here(self) -> None:
        target = self._target
        if target is not None and not target.spec.is_live and self._pending is not None and not self._pending_skip_mode:
            # A start or seek not heard yet: redo it from its own position with the new settings (continuing from
            # where the current stream is would undo the seek).
            self._swap_pending(self._new_stream(target.spec, target.start_ms, target.end_ms), skip=False)
        elif target is not None and not target.spec.is_live:
            self._swap_pending(self._new_stream(target.spec, self.position_ms, target.end_ms), skip=True)
        elif isinstance(target, SharedTap) and target.alone and target is self._current and self._shares is not None:
            # A share heard by this player alone is its live stream: changed in place, as an unshared one (below),
            # and listed under its new settings for the players that come later.
            self._shares.rekey(target.share, self._volume, self._filters)
            self._restyle(target.stream, target.next)
        elif isinstance(target, SharedTap):
            # A shared live stream is not changed for the others: this player moves to the share of its new settings
            # (or its own), from its current position; the old share sounds until the new one has a frame.
            moved = self._new_stream(target.spec, self.position_ms, target.end_ms)
            moved.started = target.started  # the same track going on: no second on_track_start
            self._swap_pending(moved, skip=False)
        elif target is not None:
            self._restyle(target, target.sent)

    def _restyle(self, stream: TrackStream, asked_at: int) -> None:
        """A live stream cannot be reopened at a position: it changes in place, the frames already buffered (all but
        the next RESTYLE_KEEP_FRAMES after frame `asked_at`, the listener's next) made again, passthrough included;
        the job applies the latest wish."""
        stream.wanted_filters = self._filters
        stream.wanted_volume = self._volume
        self._cpu.submit(stream.restyle, asked_at, asked_at + RESTYLE_KEEP_FRAMES)

    def _swap_pending(self, stream: Stream, skip: bool) -> None:
        if self._pending is not None:
            self._close(self._pending)
        self._pending = stream
        # skip: continue where the old stream is when the new one takes over (volume/filters/endTime).
        self._pending_skip = -1 if skip else 0
        self._pending_since = 0 if self._current is None else self._current.sent

    def _schedule(self, stream: Stream, pool: Executor, frames: int) -> None:
        if isinstance(stream, SharedTap):
            stream.fill_future = stream.request_fill(pool, frames)  # the share's one job (its fill_job stays None)
            return
        job = stream.fill_job = FillJob(stream.fill_job, measure=not stream.passthrough)
        stream.fill_future = pool.submit(job.run, stream.fill, frames)

    def _close(self, stream: Stream) -> None:
        if isinstance(stream, SharedTap):
            # Leaving is loop work (the share's taps are the loop's); the last one out closes the source off it.
            last = stream.leave()
            if last is not None:
                self._io.submit(last.close)
            return
        stream.cancelled = True
        self._io.submit(stream.close)

    def _silence(self) -> None:
        if self._speaking and self.sink is not None:
            self.sink.send_silence()
        self._speaking = False

    def _refill(self, stream: Stream) -> None:
        fut = stream.fill_future
        if stream.ended or (fut is not None and not fut.done()):
            return
        if len(stream.buffer) <= self._refill_below:
            # A network read can block for up to the read timeout (a stalled server): such streams fill on the
            # io pool, so a stall never holds one of the few decode workers every other player needs.
            pool = self._io if stream.network else self._cpu
            self._schedule(stream, pool, self._settings.batch_frames)

    def _take_over(self) -> None:
        """Switch to the pending stream once it can play (or has ended, e.g. failed to open)."""
        pending = self._pending
        assert pending is not None
        if self._pending_skip_mode and self._current is not None:
            skip = self._skip_frames(pending)
            if len(pending.buffer) <= skip and not pending.ended:
                return
            for _ in range(skip):
                if pending.buffer.pop() is None:
                    break
                pending.sent += 1
        elif len(pending.buffer) == 0 and not pending.ended:
            return
        if self._current is not None:
            self._close(self._current)
            carry_started = self._pending_skip_mode and self._current.started
            pending.started = pending.started or carry_started
        self._current, self._pending = pending, None

    def _skip_frames(self, pending: Stream) -> int:
        """Frames of `pending` the current stream played since `pending` was made (their speeds may differ)."""
        assert self._current is not None
        played = self._current.sent - self._pending_since
        if self._current.speed == pending.speed:
            return played
        return round(played * self._current.speed / pending.speed)

    def tick(self) -> int:
        loss = self.loss
        if loss.late_seen != loss.context.clock.late_ticks:
            loss.ticks_skipped(self._playing)
        # The hot path, for every player every 20 ms: a track playing on, a frame ready. Anything else (a switch,
        # a pause, an end, an endTime, a starved stream) takes the full path below.
        current, sink = self._current, self.sink
        if (
            current is not None
            and sink is not None
            and self._pending is None
            and current.started
            and not self._paused
            and not self._starved_ticks
            and not current.ended
            and current.end_ms is None
            and sink.ready
        ):
            buffer = current.buffer
            frame = buffer.pop()
            if frame is not None:
                sink.send_frame(frame)
                current.sent += 1
                self.frames_sent += 1
                self._speaking = self._playing = True
                if len(buffer) <= self._refill_below:
                    self._refill(current)
                return SENT
        result = self._tick()
        self._playing = result != IDLE
        return result

    def _tick(self) -> int:
        if self._pending is not None:
            self._take_over()
            if self._pending is not None:
                self._refill(self._pending)
        sink = self.sink
        if sink is None or self._paused or not sink.ready:
            # Not ready (voice still connecting or reconnecting, DAVE group forming): frames wait in the buffer so
            # the listener hears the track from where it is, and the position stands still meanwhile.
            current = self._current
            # A track that failed before its first frame is reported even with no one listening, as lavaplayer
            # reports a source error from its decoding thread whether or not frames are being pulled.
            if current is not None and current.ended and not current.started and len(current.buffer) == 0:
                self._end(current)
            return IDLE
        current = self._current
        if current is None:
            # Still opening the first track: no frame yet counts towards "stuck", not towards nulled.
            return IDLE if self._pending is None else self._starved(self._pending)
        if current.ended and current.started and not current.failure_reported:
            # A source that failed mid-track (dead server, undecodable data) is reported now, as lavaplayer
            # reports it from its decoding thread; up to 3 s of the frames already buffered still play, then the
            # track ends. A source that simply ended (a radio closing its stream, a file read to its end while
            # seconds are still buffered) plays every frame it delivered.
            self._report_failure(current)
            if current.outcome is not None and current.outcome.failure is not None:
                current.buffer.split_tail(DEAD_SOURCE_PLAYOUT_FRAMES)
        end_ms = current.end_ms
        if end_ms is not None and current.heard_ms() >= end_ms:
            self._end_time_reached(current)
            return IDLE
        buffer = current.buffer
        frame = buffer.pop()
        if frame is None:
            if current.ended:
                self._end(current)
                return IDLE
            self._refill(current)
            return self._starved(current)
        sink.send_frame(frame)
        current.sent += 1
        self.frames_sent += 1
        if not current.started:
            self._first_frame(current)
        elif self._starved_ticks:
            self._starved_ticks = 0
            self._stuck_reported = False
        if not self._speaking:
            self._speaking = True
        if len(buffer) <= self._refill_below:
            self._refill(current)
        return SENT

    def _first_frame(self, current: Stream) -> None:
        current.started = True
        self._speaking = True
        self._starved_ticks = 0
        self._stuck_reported = False
        if self.listener is not None:
            self.listener.on_track_start()

    def _starved(self, current: Stream) -> int:
        self._starved_ticks += 1
        if self._starved_ticks >= self._stuck_ticks and not self._stuck_reported:
            self._stuck_reported = True
            log.debug("track stuck: no frame for %d ms, url=%s", self._settings.stuck_threshold_ms, current.spec.url)
            if self.listener is not None:
                self.listener.on_track_stuck(self._settings.stuck_threshold_ms)
        if not current.started:
            return IDLE  # still opening: Lavalink counts nulled frames only once audio flows
        self.frames_nulled += 1
        # Attributed as any other (the listener missed it), but one missed while the stream fills up after its start
        # is not the pool falling behind: the overload policy leaves those out (frame_loss.LossContext).
        filling = self._filling(current)
        self._filling_missed += filling
        self.loss.missed(current.fill_job, filling=filling)
        return NULLED

    def _end_time_reached(self, current: Stream) -> None:
        self._close(current)
        self._current = None
        self._silence()
        if self.listener is not None:
            self.listener.on_track_end(EndReason.FINISHED)

    def _end(self, current: Stream) -> None:
        self._current = None
        self._silence()
        outcome = current.outcome
        if outcome is None or self.listener is None:
            return
        if not current.failure_reported:
            self._report_failure(current)
        self.listener.on_track_end(outcome.reason)

    def _report_failure(self, current: Stream) -> None:
        current.failure_reported = True
        outcome = current.outcome
        if outcome is not None and outcome.failure is not None and self.listener is not None:
            self.listener.on_track_exception(outcome.failure)

    async def wait_frame(self, timeout_s: float = 10.0) -> None:
        """Test/bench helper: wait until the next tick has a frame or an end to report (no polling)."""
        async with asyncio.timeout(timeout_s):
            while True:
                stream = self._target
                if stream is None or stream.ended:
                    return
                need = 1
                if stream is self._pending and self._pending_skip_mode and self._current is not None:
                    need += self._skip_frames(stream)
                if len(stream.buffer) >= need:
                    return
                fut = stream.fill_future
                if fut is None or fut.done():
                    self._refill(stream)
                    fut = stream.fill_future
                    if fut is None or fut.done():
                        return
                await asyncio.wrap_future(fut)
