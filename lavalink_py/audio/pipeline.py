"""One track's media turned into 20 ms Opus frames, a batch per worker job.

Sequence per stream: open and seek (`media_open`: first fill on the io pool) -> demux -> either
pass the source's own Opus packets through (Opus, 48 kHz, 20 ms packets, volume 100, no filters) or decode
-> resample -> discard samples before `start_ms` -> filter chain (float, `audio/filters/chain.py`) -> player
volume -> libopus encode -> FrameBuffer.
Every failure becomes a `StreamOutcome`; `fill` never raises.

With filters, `_emitted` counts source samples (endTime and truncation checks stay in source time) while the
chain may hand out more or fewer (timescale); whole 20 ms frames are encoded and the remainder carried over.

A live stream changes volume and filters in place (`restyle`): it keeps its decoded source (restyle.py
`SourceHistory`), drops the frames buffered past the next few, rewinds `_emitted` to the source time the listener
will have reached there and makes them again with the new settings (or hands out the source's own packets again
when the change returns it to passthrough). `marks` record, per run of frames, which source sample each frame
starts at, so the position reported follows the source time across speed changes.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any, NamedTuple

import av
import numpy as np

from lavalink_py.audio.filters.chain import FilterPlan, FilterProcessor
from lavalink_py.audio.frame_loss import FillJob
from lavalink_py.audio.frames import CHANNELS, FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, FrameBuffer
from lavalink_py.audio.media_open import close_container, open_media
from lavalink_py.audio.opus_toc import opus_packet_samples
from lavalink_py.audio.overload import ComplexityDial, EncoderLevel
from lavalink_py.audio.pcm import ENCODER_LOOKAHEAD, Int16Pcm, OpusEncoder, Resampler, apply_gain
from lavalink_py.audio.restyle import LeadingEncoder, SourceHistory, crossfade, decode_frames
from lavalink_py.audio.results import (
    FINISHED,
    AudioError,
    EndReason,
    Severity,
    StreamOutcome,
)
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.audio.volume import UNITY
from lavalink_py.sources.base import StreamSpec

log = logging.getLogger(__name__)

MAX_DECODE_ERRORS = 50
RESTYLE_CHUNK_FRAMES = 5
RESTYLE_MIN_KEEP = 3  # 60 ms: what a rewind needs to make its first chunk before the listener gets there
PRIMER_PACKETS = 2  # 40 ms: more than Opus' pre-skip and its decoder's warm-up
PRIMER_FRAMES = 8  # a rewind decodes the frames kept from this many before the junction (restyle.PRIMER_PACKETS)
WARM_SAMPLES = SAMPLE_RATE // 5  # a new chain runs over the 200 ms before a rewind's junction first
# The history keeps this much source before the next frame to play: a rewind's warm-up, its primer frames, the
# encoder's look-ahead.
HISTORY_MARGIN = WARM_SAMPLES + 4 * FRAME_SAMPLES + ENCODER_LOOKAHEAD
# A file whose header promises more than this beyond where decoding stopped counts as truncated.
TRUNCATION_SLACK_MS = 1000


class Mark(NamedTuple):
    """From frame `serial` (counted from the stream's first) on, frame n starts at source sample
    `source + (n - serial) * FRAME_SAMPLES * speed`; what the listener hears of it is `lag` samples earlier (a
    fresh encoder's look-ahead)."""

    serial: int
    source: int
    speed: float
    lag: int


class Rewind(NamedTuple):
    """One live-stream change (frames counted from the stream's first): asked while frame `asked_at` was next,
    begun at `started_at`, heard from `serial` (None: the source was no longer held, it applied from there on)."""

    asked_at: int
    started_at: int
    serial: int | None


class TrackStream:
    """State of one track being produced. `fill` runs in a pool thread; the rest is read by the loop."""

    def __init__(
        self,
        spec: StreamSpec,
        *,
        start_ms: int,
        end_ms: int | None,
        settings: EngineSettings,
        volume: int,
        filters: FilterPlan | None,
        dial: ComplexityDial | None = None,
    ) -> None:
        self.spec = spec
        self.start_ms = max(0, start_ms)
        self.end_ms = end_ms
        self.buffer = FrameBuffer(settings.buffer_frames)
        self.settings = settings
        self.volume = volume
        self.filters = filters
        # Live streams: set by the loop, applied by `restyle` in a pool thread.
        self.wanted_volume = volume
        self.wanted_filters = filters
        # Read over a network protocol (http, hls, ...): may block on the peer, not only on the disk.
        self.network = "://" in spec.url
        # Loop-side bookkeeping (only the loop writes these).
        self.sent = 0
        self.started = False
        self.failure_reported = False  # TrackException sent (at once), TrackEnd follows when the buffer is played
        self.fill_future: Future[None] | None = None
        self.fill_job: FillJob | None = None  # the latest refill, for frame-loss attribution (frame_loss.py)
        self.dial = dial  # the overload policy's complexity, read before each encode (overload.py)
        # Thread-side results, published after the frames they follow.
        self.ended = False
        self.outcome: StreamOutcome | None = None
        self.passthrough = False
        self.opened = False
        self.cancelled = False
        self.restyle_failures = 0
        self._lock = threading.Lock()
        self._container: Any = None
        self._packets: Iterator[Any] | None = None
        self._resampler = Resampler(settings.resampling)
        self._encoder: OpusEncoder | None = None
        self._pcm: list[Int16Pcm] = []
        self._pcm_samples = 0
        self._pos: int | None = None  # absolute position of the next resampled sample, in 48 kHz samples
        self._emitted = 0  # samples (or passthrough samples) handed out since start_ms
        self._decode_errors = 0
        self._origin = 0  # stream start time in 48 kHz samples
        self._seek_reached = False  # passthrough: packets before start_ms are skipped until this is set
        self._can_pass = False  # the source is Opus at 48 kHz: its packets may go out as they are
        self._packets_fit = True  # every packet so far was a plain 20 ms one
        self._recent: deque[Any] = deque(maxlen=PRIMER_PACKETS)  # the last packets sent or decoded
        self._chain: FilterProcessor | None = None
        self._chain_plan: FilterPlan | None = None
        self._carry: Int16Pcm = np.zeros((0, CHANNELS), np.int16)  # filtered samples short of a whole frame
        self._encoder_lead: LeadingEncoder | None = None  # after a rewind: in place of `_encoder`
        self._history = SourceHistory() if spec.is_live else None
        self.marks: list[Mark] = []  # live streams: replaced whole by a rewind, so the loop reads a consistent list
        self.rewinds: deque[Rewind] = deque(maxlen=8)  # the last changes made in place (tests and the status page)
        self.restyles = 0  # changes made in place so far, and the frame the last began at: the overload policy
        self.restyled_at = 0  # lets the buffer fill again after one, as after a start (Playback.encoding_fill)
        self._made = 0  # frames handed to the buffer (live streams; a rewind takes back those it drops)
        self._fade: Int16Pcm | None = None  # a rewind's replaced frame: the first new frame fades in from it
        self._chain_skip = 0  # samples a warmed chain still owes from before the junction (its latency)

    # ---- thread side -------------------------------------------------------------------------------------
    def fill(self, frames: int) -> None:
        with self._lock:
            try:
                if self.cancelled or self.ended:
                    return
                if self._container is None:
                    self._open()
                want = min(frames, self.buffer.free())
                if self._history is not None:
                    self._follow_listener()
                batch, done = self._produce(want)
                self.buffer.extend(batch)
                self._made += len(batch)
                if done:
                    self._finish(self._end_outcome())
            except AudioError as exc:
                self._finish(StreamOutcome(EndReason.LOAD_FAILED, exc.failure))
            except Exception as exc:
                log.exception("track stream failed: url=%s", self.spec.url)
                failure = AudioError("Something broke when playing the track.", Severity.FAULT, repr(exc)).failure
                self._finish(StreamOutcome(EndReason.LOAD_FAILED, failure))

    def close(self) -> None:
        with self._lock:
            self.cancelled = True
            self._release()

    def _finish(self, outcome: StreamOutcome) -> None:
        self._release()
        self.outcome = outcome
        self.ended = True

    def _release(self) -> None:
        if self._container is not None:
            try:
                close_container(self._container)
            except Exception:
                log.warning("closing %s failed", self.spec.url, exc_info=True)
            self._container = None
            self._packets = None

    def _open(self) -> None:
        opened = open_media(self.spec, self.start_ms, self.settings)
        self._container = opened.container
        ctx = opened.stream.codec_context
        self._can_pass = ctx.name == "opus" and ctx.sample_rate == SAMPLE_RATE
        self.passthrough = self._can_pass and self.volume == 100 and self.filters is None
        # Position 0 is the first sample the decoder hands out, not timestamp 0 (MP3 reports its encoder delay
        # as the start time, ~25 ms; Vorbis labels its first output with the second packet's time).
        self._origin = opened.origin
        self._packets = opened.container.demux(opened.stream)
        self.opened = True

    def _end_outcome(self) -> StreamOutcome:
        duration_us = None if self._container is None else self._container.duration
        reached_ms = self.start_ms + self._emitted * 1000 // SAMPLE_RATE
        if self.end_ms is None and duration_us is not None and not self.spec.is_live:
            declared_ms = duration_us // 1000
            if reached_ms + TRUNCATION_SLACK_MS < declared_ms:
                return StreamOutcome(
                    EndReason.LOAD_FAILED,
                    AudioError(
                        "The track ended before its declared length.",
                        Severity.SUSPICIOUS,
                        f"data ends at {reached_ms} ms of {declared_ms} ms (truncated or unreadable)",
                    ).failure,
                )
        return FINISHED

    def _limit_samples(self) -> int | None:
        # A live stream is never reopened, so it reads on past endTime (the playback cuts there): a later endTime
        # can then apply in place.
        if self.end_ms is None or self.spec.is_live:
            return None
        return max(0, (self.end_ms - self.start_ms) * SAMPLE_RATE // 1000)

    def _next_packet(self) -> Any | None:
        assert self._packets is not None
        try:
            return next(self._packets)
        except StopIteration:
            return None
        except (av.FFmpegError, OSError) as exc:
            # OSError: a Python file under PyAV (`ForwardHttpFile`) timed out or lost its connection.
            cause = f"{type(exc).__name__}: {exc}"
            raise AudioError("The stream failed while playing.", Severity.SUSPICIOUS, cause) from exc

    def _produce(self, want: int) -> tuple[list[bytes], bool]:
        """Up to `want` frames; `done` when the media or endTime is reached."""
        out: list[bytes] = []
        limit = self._limit_samples()
        while len(out) < want:
            if limit is not None and self._emitted >= limit:
                return out, True
            run = self._passthrough_step if self.passthrough else self._decode_step
            if run(out, want - len(out), limit):
                return out, True
        return out, False

    def _passthrough_step(self, out: list[bytes], frames: int, limit: int | None) -> bool:
        """Hand over up to `frames` source packets; per packet only a demux, a copy and a TOC check."""
        packets = self._packets
        assert packets is not None
        end = len(out) + frames
        while len(out) < end:
            if limit is not None and self._emitted >= limit:
                return True
            packet = self._next_packet()
            if packet is None:
                return True
            if packet.size == 0 or packet.pts is None:
                continue
            data = bytes(packet)
            if opus_packet_samples(data) != FRAME_SAMPLES:
                # Not a plain 20 ms packet: decode from here on.
                self.passthrough = self._packets_fit = False
                self._prime_decoder()
                self._decode_packet(packet)
                return False
            if not self._seek_reached:
                start = packet.pts * packet.time_base * SAMPLE_RATE - self._origin
                if start + FRAME_SAMPLES // 2 <= self.start_ms * SAMPLE_RATE // 1000:
                    continue  # before the seek target: the packet nearest to it plays first (within 10 ms)
                self._seek_reached = True
            out.append(data)
            self._recent.append(packet)
            if self._history is not None:
                self._history.add_packet(self._emitted, data)
            self._emitted += FRAME_SAMPLES
        return False

    def _prime_decoder(self) -> list[Int16Pcm]:
        """Leaving passthrough: decode the last packets sent, so the decoder is warm (no soft pre-roll) and has
        spent the start skip it applies to its first output (Opus pre-skip, 312 samples), which would otherwise cut
        6.5 ms out and shift every later sample off the packet grid. Returns their audio, whole packets only."""
        sent: list[Int16Pcm] = []
        for packet in self._recent:
            with contextlib.suppress(av.FFmpegError):  # a primer that fails leaves the decoder as cold as it was
                chunks = [chunk for frame in packet.decode() for chunk in self._resampler.resample(frame)]
                pcm = np.concatenate(chunks) if chunks else None
                if pcm is not None and len(pcm) == FRAME_SAMPLES:
                    sent.append(pcm)
        return sent

    def _follow_listener(self) -> None:
        """Live streams: start the time line, and forget the source the listener is past (less a rewind's margin)."""
        assert self._history is not None
        if not self.marks:
            lag = 0 if self.passthrough else ENCODER_LOOKAHEAD
            self.marks = [Mark(0, self._emitted, self.speed, lag)]
        self._history.prune(self.source_at(self.sent) - HISTORY_MARGIN)

    def source_at(self, serial: int) -> int:
        """Live streams: the source sample frame `serial` starts at (0 before the first mark)."""
        for mark in reversed(self.marks):
            if mark.serial <= serial:
                return mark.source + round((serial - mark.serial) * FRAME_SAMPLES * mark.speed)
        return 0

    def heard_ms(self) -> int:
        """Loop side: the source time at the next frame to play (Lavalink reports source time, timescale included)."""
        if self.marks:
            return self.start_ms + self.source_at(self.sent) * 1000 // SAMPLE_RATE
        return self.start_ms + round(self.sent * FRAME_MS * self.speed)

    @property
    def made(self) -> int:
        """Frames handed to the buffer so far (a live stream's rewind takes back those it drops)."""
        return self._made

    @property
    def history_bytes(self) -> int:
        """What a live stream keeps to redo its buffered frames (the cost of `restyle`)."""
        return 0 if self._history is None else self._history.nbytes

    def restyle(self, asked_at: int, heard_by: int) -> None:
        """Pool thread: bring a live stream to `wanted_volume`/`wanted_filters`, the frames buffered from frame
        `heard_by` on included (module docstring), handing them back a chunk at a time so the consumer never runs
        dry. A job that starts late keeps RESTYLE_MIN_KEEP frames, the time it needs to make the first new ones."""
        try:
            with self._lock:
                keep_frames = max(RESTYLE_MIN_KEEP, heard_by - self.sent)
                started_at = self.sent
                plan, volume = self.wanted_filters, self.wanted_volume
                if self.cancelled or (plan is self.filters and volume == self.volume):
                    return
                if self._history is None or self._container is None:
                    # Not opened yet (it opens with these), or made every frame it will: from here on.
                    self.filters, self.volume = plan, volume
                    return
                self.restyles, self.restyled_at = self.restyles + 1, started_at
                serial = self._rewind(keep_frames, plan, volume)
                self.rewinds.append(Rewind(asked_at, started_at, serial))
        except Exception:
            self.restyle_failures += 1
            log.exception("redoing the buffered frames of a live stream failed: url=%s", self.spec.url)

    def _rewind(self, keep_frames: int, plan: FilterPlan | None, volume: int) -> int | None:
        """Returns the first frame made again (None: none could be)."""
        history = self._history
        assert history is not None
        primer, tail = self.buffer.split_tail(keep_frames, PRIMER_FRAMES)
        serial = self._made - len(tail)
        before = [mark for mark in self.marks if mark.serial < serial] or self.marks[:1]
        # Where the listener will be after the last frame kept: the new frames start there.
        start = self.source_at(serial) - before[-1].lag
        end = self._emitted + self._pcm_samples  # decoded so far
        # One run with the chain's warm-up before it, so packets are decoded warm from `start` on.
        warm_start = max(history.start, start - WARM_SAMPLES)
        both = history.pcm(warm_start, end)
        warm, source = (None, None) if both is None else (both[: start - warm_start], both[start - warm_start :])
        if source is None:
            # Not held (only if the loop ran far ahead of the producer): the frames stay, the change applies on.
            log.warning("live stream rewind: source %d..%d not in history %d..%d", start, end, history.start, end)
            self.buffer.extend(tail)
            self.filters, self.volume = plan, volume
            return None
        was_passthrough = self.passthrough
        self.filters, self.volume = plan, volume
        self._made = serial
        self.marks = before
        self._chain_plan, self._chain, self._chain_skip = plan, None, 0
        self._carry = np.zeros((0, CHANNELS), np.int16)
        if plan is None and volume == UNITY and self._can_pass and self._packets_fit and self._rejoin(serial, start):
            return serial
        heard = decode_frames([*primer, *tail[:1]])
        self._fade = heard.pop() if tail else None
        self._encoder_lead = LeadingEncoder(self.settings.opus_quality, self.settings.opus_bitrate, heard)
        if plan is not None:
            self._warm_chain(plan, warm)
        if was_passthrough:
            self.passthrough = False
            self._prime_decoder()  # the stream's decoder goes on from the demuxer, warm
        self._pcm, self._pcm_samples = ([source], len(source)) if len(source) else ([], 0)
        self._emitted = start
        self.marks = [*before, Mark(serial, start, self.speed, 0)]  # a new list: the loop may be reading the old
        per_frame = FRAME_SAMPLES * self.speed
        while (frames := min(RESTYLE_CHUNK_FRAMES, int(self._pcm_samples / per_frame) - 1)) > 0:
            out: list[bytes] = []
            self._decode_step(out, frames, None)
            self.buffer.extend(out)
            self._made += len(out)
        return serial

    def _rejoin(self, serial: int, start: int) -> bool:
        """Back to passthrough from frame `serial`: the source's own packets from the one nearest `start` (within
        10 ms), when the history holds them all."""
        assert self._history is not None
        packets = self._history.packets_from(start)
        if packets is None:
            return False
        first, run = packets
        self.marks = [*self.marks, Mark(serial, first, 1.0, 0)]  # a new list: the loop may be reading the old
        self._pcm, self._pcm_samples = [], 0
        self._emitted = first + len(run) * FRAME_SAMPLES
        self.passthrough = self._seek_reached = True
        self._encoder_lead = self._fade = None
        self.buffer.extend(run)
        self._made += len(run)
        return True

    def _warm_chain(self, plan: FilterPlan, warm: Int16Pcm | None) -> None:
        """A new chain run over the source before the junction, so its state is that of a chain that ran all
        along; a graph that holds samples back (atempo) still owes the rest of the warm-up's output, skipped then,
        so the first new sample stands for the junction."""
        self._chain = plan.open()
        if warm is not None and len(warm):
            got = len(self._chain.process(warm.astype(np.float32) * np.float32(1 / 32768)))
            self._chain_skip = max(0, round(len(warm) / plan.speed) - got)

    @property
    def encoder_complexity(self) -> int | None:
        """libopus complexity of this stream's encoder; None before it encodes (or while passed through)."""
        level = self.encoder_level
        return None if level is None else level.complexity

    @property
    def encoder_level(self) -> EncoderLevel | None:
        """What this stream's encoder runs at (the overload policy's step); None before it encodes (or while passed
        through)."""
        opus = self._encoder_lead.opus if self._encoder_lead is not None else self._encoder
        return None if opus is None or self.passthrough else opus.level

    @property
    def speed(self) -> float:
        """Source samples per sent sample (timescale); the loop turns sent frames into a source position with it."""
        return 1.0 if self.filters is None else self.filters.speed

    def _decode_step(self, out: list[bytes], frames: int, limit: int | None) -> bool:
        need = frames * FRAME_SAMPLES if self.filters is None else max(1, round(frames * FRAME_SAMPLES * self.speed))
        eof = False
        while self._pcm_samples < need:
            packet = self._next_packet()
            if packet is None:
                eof = True
                break
            self._decode_packet(packet)
        take = min(need, self._pcm_samples)
        if limit is not None:
            take = min(take, limit - self._emitted)
        if take <= 0:
            if self._chain is not None:
                self._encode(out, self._filtered(np.zeros((0, CHANNELS), np.int16), final=True))
            return True
        block = self._take_pcm(take)
        if self.filters is not None or self._chain is not None:
            final = (eof and self._pcm_samples == 0) or (limit is not None and self._emitted + len(block) >= limit)
            self._emitted += len(block)
            self._encode(out, self._filtered(block, final))
            return eof and self._pcm_samples == 0
        if len(block) % FRAME_SAMPLES:
            pad = FRAME_SAMPLES - len(block) % FRAME_SAMPLES
            block = np.concatenate([block, np.zeros((pad, CHANNELS), np.int16)])
        self._encode(out, block)
        self._emitted += len(block)
        return eof and self._pcm_samples == 0

    def _encode(self, out: list[bytes], block: Int16Pcm) -> None:
        """Player volume, then libopus (after a live stream's rewind: its leading encoder, the first frame faded in
        from the one it replaces)."""
        if not len(block):
            return
        block = apply_gain(block, self.volume, None)
        if self._fade is not None:
            block, self._fade = crossfade(self._fade, block), None
        lead = self._encoder_lead
        if lead is None and self._encoder is None:
            self._encoder = OpusEncoder(self.settings.opus_quality, self.settings.opus_bitrate)
        opus = lead.opus if lead is not None else self._encoder
        assert opus is not None
        if self.dial is not None:
            opus.follow(self.dial.level)
        out.extend(lead.encode(block) if lead is not None else opus.encode(block))

    def _filtered(self, block: Int16Pcm, final: bool) -> Int16Pcm:
        """Run the filter chain; return whole frames (the last one padded when `final`), carry the rest."""
        if self._chain_plan is not self.filters:
            # First block, or a live stream whose filters changed in place: a fresh chain from here.
            self._chain_plan = self.filters
            self._chain = None if self.filters is None else self.filters.open()
        pcm = block.astype(np.float32) * np.float32(1 / 32768)
        if self._chain is not None:
            pcm = self._chain.process(pcm)
            if self._chain_skip:
                cut = min(self._chain_skip, len(pcm))
                pcm, self._chain_skip = pcm[cut:], self._chain_skip - cut
            if final:
                tail = self._chain.flush()
                pcm = np.concatenate([pcm, tail]) if len(tail) else pcm
        # lavaplayer converts the filters' float output to 16-bit before the player volume, clamping. An unstable
        # setting (karaoke with a negative width) can overflow to inf/NaN: those become full scale and silence.
        pcm = np.nan_to_num(pcm, nan=0.0, posinf=1.0, neginf=-1.0)
        samples = np.clip(np.rint(pcm * 32768.0), -32768, 32767).astype(np.int16)
        carried = np.concatenate([self._carry, samples]) if len(self._carry) else samples
        whole = len(carried) - len(carried) % FRAME_SAMPLES
        if final and whole < len(carried):
            pad = np.zeros((whole + FRAME_SAMPLES - len(carried), CHANNELS), np.int16)
            carried, whole = np.concatenate([carried, pad]), len(carried) + len(pad)
        self._carry = carried[whole:]
        return carried[:whole]

    def _take_pcm(self, samples: int) -> Int16Pcm:
        pcm = np.concatenate(self._pcm) if len(self._pcm) > 1 else self._pcm[0]
        block, rest = pcm[:samples], pcm[samples:]
        self._pcm = [rest] if len(rest) else []
        self._pcm_samples = len(rest)
        return block

    def _decode_packet(self, packet: Any) -> None:
        self._recent.append(packet)
        try:
            frames = packet.decode()
        except av.FFmpegError as exc:
            # One corrupt packet is skipped (a glitch); many mean the data is not what it claims to be.
            self._decode_errors += 1
            if self._decode_errors > MAX_DECODE_ERRORS:
                raise AudioError("The track could not be decoded.", Severity.SUSPICIOUS, f"{exc}") from exc
            return
        target = self.start_ms * SAMPLE_RATE // 1000
        for frame in frames:
            if self._pos is None:
                self._pos = target
                if frame.pts is not None and frame.time_base is not None and not self.spec.is_live:
                    self._pos = round(frame.pts * frame.time_base * SAMPLE_RATE) - self._origin
            for chunk in self._resampler.resample(frame):
                pos = self._pos
                self._pos = pos + len(chunk)
                kept = chunk[min(len(chunk), target - pos) :] if pos < target else chunk
                if len(kept):
                    if self._history is not None:
                        self._remember(packet, kept)
                    self._pcm.append(kept)
                    self._pcm_samples += len(kept)

    def _remember(self, packet: Any, pcm: Int16Pcm) -> None:
        """A live stream's decoded source, by its index (the end of what is decoded): an Opus source's 20 ms packet
        as it is (a tenth of the memory, and what passthrough sends again), anything else as PCM."""
        assert self._history is not None
        start = self._emitted + self._pcm_samples
        if self._can_pass and len(pcm) == FRAME_SAMPLES and opus_packet_samples(data := bytes(packet)) == FRAME_SAMPLES:
            self._history.add_packet(start, data)
        else:
            self._history.add_pcm(start, pcm)
