"""One track's media turned into 20 ms Opus frames, a batch per worker job.

Sequence per stream: open and seek (`media_open`: first fill on the io pool) -> demux -> either
pass the source's own Opus packets through (Opus, 48 kHz, 20 ms packets, volume 100, no filters) or decode
-> resample -> discard samples before `start_ms` -> filter chain (float, `audio/filters/chain.py`) -> player
volume -> libopus encode -> FrameBuffer.
Every failure becomes a `StreamOutcome`; `fill` never raises.

With filters, `_emitted` counts source samples (endTime and truncation checks stay in source time) while the
chain may hand out more or fewer (timescale); whole 20 ms frames are encoded and the remainder carried over.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import av
import numpy as np

from lavalink_py.audio.filters.chain import FilterPlan, FilterProcessor
from lavalink_py.audio.frame_loss import FillJob
from lavalink_py.audio.frames import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, FrameBuffer
from lavalink_py.audio.media_open import close_container, open_media
from lavalink_py.audio.opus_toc import opus_packet_samples
from lavalink_py.audio.overload import ComplexityDial
from lavalink_py.audio.pcm import ENCODER_LOOKAHEAD, Int16Pcm, OpusEncoder, Resampler, apply_gain
from lavalink_py.audio.restyle import FrameRestyler
from lavalink_py.audio.results import (
    FINISHED,
    AudioError,
    EndReason,
    Severity,
    StreamOutcome,
)
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.audio.volume import UNITY, change_volume
from lavalink_py.sources.base import StreamSpec

log = logging.getLogger(__name__)

MAX_DECODE_ERRORS = 50
RESTYLE_CHUNK_FRAMES = 5
PRIMER_PACKETS = 2  # 40 ms: more than Opus' pre-skip and its decoder's warm-up
# A file whose header promises more than this beyond where decoding stopped counts as truncated.
TRUNCATION_SLACK_MS = 1000


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
        self.wanted_volume = volume  # live streams: set by the loop, applied by `restyle` in a pool thread
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
        self._warm_up_frames = 0  # encoded frames to drop (see _lead_encoder)
        self._chain: FilterProcessor | None = None
        self._chain_plan: FilterPlan | None = None
        self._carry: Int16Pcm = np.zeros((0, CHANNELS), np.int16)  # filtered samples short of a whole frame

    # ---- thread side -------------------------------------------------------------------------------------
    def fill(self, frames: int) -> None:
        with self._lock:
            try:
                if self.cancelled or self.ended:
                    return
                if self._container is None:
                    self._open()
                want = min(frames, self.buffer.free())
                batch, done = self._produce(want)
                self.buffer.extend(batch)
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
        self._follow_settings(out)
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

    def _follow_settings(self, out: list[bytes]) -> None:
        """A live stream's volume/filters change in place (it cannot be reopened at a position): leave passthrough,
        or rejoin it, at the next packet (the primed decoder keeps decoded audio on the packet grid, so nothing is
        left over to drop)."""
        neutral = self.volume == 100 and self.filters is None
        if self.passthrough and not neutral:
            self.passthrough = False
            self._lead_encoder(self._prime_decoder())
        elif not self.passthrough and neutral and self._can_pass and self._packets_fit and self.spec.is_live:
            # Encoding runs one packet behind (see _lead_encoder): the last packet decoded goes out next, as it is.
            self._pcm, self._pcm_samples = [], 0
            self.passthrough = self._seek_reached = True
            if self._recent:
                out.append(bytes(self._recent[-1]))
                self._emitted += FRAME_SAMPLES

    def _lead_encoder(self, sent: list[Int16Pcm]) -> None:
        """Our encoder hands out its input ENCODER_LOOKAHEAD samples late, while the listener heard the source's
        packets decoded as they are: feeding it the last packets sent from that offset (the frames standing for
        them, a warm-up, dropped) keeps the time line continuous across the switch. They go in at the level they
        were heard at (passthrough is volume 100), so the encoder's state matches the listener's decoder."""
        if not sent:
            return
        carry = change_volume(np.concatenate(sent)[ENCODER_LOOKAHEAD:], self.volume, UNITY)
        self._pcm, self._pcm_samples = [carry], len(carry)
        self._warm_up_frames = len(sent)

    def restyle(self, keep_frames: int) -> None:
        """Pool thread: bring a live stream to `wanted_volume`, the frames buffered past the first `keep_frames`
        included (restyle.py), handing them back a chunk at a time so the consumer never runs dry."""
        try:
            with self._lock:
                old, new = self.volume, self.wanted_volume
                if self.cancelled or old == new:
                    return
                self.volume = new
                primer, tail = self.buffer.split_tail(keep_frames)
                if not tail:
                    return
                restyler = FrameRestyler(primer, old, new, self.settings.opus_quality, self.settings.opus_bitrate)
                for start in range(0, len(tail), RESTYLE_CHUNK_FRAMES):
                    self.buffer.extend(restyler.restyle(tail[start : start + RESTYLE_CHUNK_FRAMES]))
                self.buffer.extend(tail[-1:])  # see FrameRestyler: the stream's encoder runs on from this one
        except Exception:
            self.restyle_failures += 1
            log.exception("changing the volume of buffered frames failed: url=%s", self.spec.url)

    @property
    def encoder_complexity(self) -> int | None:
        """libopus complexity of this stream's encoder; None before it encodes (or while passed through)."""
        return None if self._encoder is None or self.passthrough else self._encoder.complexity

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
            dropped = self._encode(out, self._filtered(block, final))
            self._emitted -= round(dropped * self.speed)
            return eof and self._pcm_samples == 0
        if len(block) % FRAME_SAMPLES:
            pad = FRAME_SAMPLES - len(block) % FRAME_SAMPLES
            block = np.concatenate([block, np.zeros((pad, CHANNELS), np.int16)])
        dropped = self._encode(out, block)
        self._emitted += len(block) - dropped
        return eof and self._pcm_samples == 0

    def _encode(self, out: list[bytes], block: Int16Pcm) -> int:
        """Player volume, then libopus. Returns the samples of `block` dropped as encoder warm-up (frames standing
        for audio the listener already heard in passthrough, see _lead_encoder)."""
        if not len(block):
            return 0
        block = apply_gain(block, self.volume, None)
        if self._encoder is None:
            self._encoder = OpusEncoder(self.settings.opus_quality, self.settings.opus_bitrate)
        if self.dial is not None:
            self._encoder.set_complexity(self.dial.complexity)
        encoded = self._encoder.encode(block)
        dropped = 0
        if self._warm_up_frames:
            dropped = min(self._warm_up_frames, len(encoded))
            encoded, self._warm_up_frames = encoded[dropped:], self._warm_up_frames - dropped
        out.extend(encoded)
        return dropped * FRAME_SAMPLES

    def _filtered(self, block: Int16Pcm, final: bool) -> Int16Pcm:
        """Run the filter chain; return whole frames (the last one padded when `final`), carry the rest."""
        if self._chain_plan is not self.filters:
            # First block, or a live stream whose filters changed in place: a fresh chain from here.
            self._chain_plan = self.filters
            self._chain = None if self.filters is None else self.filters.open()
        pcm = block.astype(np.float32) * np.float32(1 / 32768)
        if self._chain is not None:
            pcm = self._chain.process(pcm)
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
                    self._pcm.append(kept)
                    self._pcm_samples += len(kept)
