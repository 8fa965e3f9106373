"""One track's media turned into 20 ms Opus frames, a batch per worker job.

Sequence per stream: open (io pool) -> seek backwards to the keyframe before `start_ms` -> demux -> either
pass the source's own Opus packets through (Opus, 48 kHz, 20 ms packets, volume 100, no filters) or decode
-> resample -> discard samples before `start_ms` -> filter chain (float, `audio/filters/chain.py`) -> player
volume -> libopus encode -> FrameBuffer.
Every failure becomes a `StreamOutcome`; `fill` never raises.

With filters, `_emitted` counts source samples (endTime and truncation checks stay in source time) while the
chain may hand out more or fewer (timescale); whole 20 ms frames are encoded and the remainder carried over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import av
import numpy as np

from lavalink_py.audio.filters.chain import FilterPlan, FilterProcessor
from lavalink_py.audio.frames import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE, FrameBuffer
from lavalink_py.audio.opus_toc import opus_packet_samples
from lavalink_py.audio.pcm import Int16Pcm, OpusEncoder, Resampler, apply_gain
from lavalink_py.audio.results import (
    FINISHED,
    AudioError,
    EndReason,
    Severity,
    StreamOutcome,
)
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.sources.base import StreamSpec

log = logging.getLogger(__name__)

# Resume a dropped HTTP body with a Range request instead of ending the track (FFmpeg's http protocol).
HTTP_OPTIONS = {
    "reconnect": "1",
    "reconnect_streamed": "1",
    "reconnect_on_network_error": "1",
    "reconnect_delay_max": "4",
}
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 10.0
MAX_DECODE_ERRORS = 50
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
    ) -> None:
        self.spec = spec
        self.start_ms = max(0, start_ms)
        self.end_ms = end_ms
        self.buffer = FrameBuffer(settings.buffer_frames)
        self.settings = settings
        self.volume = volume
        self.filters = filters
        # Loop-side bookkeeping (only the loop writes these).
        self.sent = 0
        self.started = False
        self.fill_future: Future[None] | None = None
        # Thread-side results, published after the frames they follow.
        self.ended = False
        self.outcome: StreamOutcome | None = None
        self.passthrough = False
        self.opened = False
        self.cancelled = False
        self._lock = threading.Lock()
        self._container: Any = None
        self._file: Any = None  # the source's own file object (StreamSpec.open_file), closed with the container
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
                self._container.close()
            except Exception:
                log.warning("closing %s failed", self.spec.url, exc_info=True)
            self._container = None
            self._packets = None
        if self._file is not None:
            try:
                self._file.close()
            except Exception:
                log.warning("closing the file of %s failed", self.spec.url, exc_info=True)
            self._file = None

    def _open(self) -> None:
        url = self.spec.url
        options = dict(self.spec.options)
        if url.startswith(("http://", "https://")):
            for key, value in HTTP_OPTIONS.items():
                options.setdefault(key, value)
        target: Any = url
        if self.spec.open_file is not None:
            target = self._file = self.spec.open_file()
        try:
            container = av.open(target, options=options, timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S))
        except av.FFmpegError as exc:
            raise AudioError("Failed to open the track.", Severity.COMMON, f"{type(exc).__name__}: {exc}") from exc
        if not container.streams.audio:
            container.close()
            raise AudioError("The media has no audio stream.", Severity.COMMON, f"no audio in {url}")
        self._container = container
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        self.passthrough = (
            ctx.name == "opus" and ctx.sample_rate == SAMPLE_RATE and self.volume == 100 and self.filters is None
        )
        # Timestamps count from the stream's start time (MP3 reports its encoder delay there, ~25 ms): position 0
        # is the first sample the decoder hands out, not timestamp 0.
        if stream.start_time is not None and stream.time_base is not None:
            self._origin = round(stream.start_time * stream.time_base * SAMPLE_RATE)
        if self.start_ms > 0 and not self.spec.is_live:
            container.seek(self.start_ms * 1000 + self._origin * 1_000_000 // SAMPLE_RATE, backward=True)
        self._packets = container.demux(stream)
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
        if self.end_ms is None:
            return None
        return max(0, (self.end_ms - self.start_ms) * SAMPLE_RATE // 1000)

    def _next_packet(self) -> Any | None:
        assert self._packets is not None
        try:
            return next(self._packets)
        except StopIteration:
            return None
        except av.FFmpegError as exc:
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
                # Not a plain 20 ms packet: decode from here on (a fresh decoder; its first ~6.5 ms pre-roll is soft).
                self.passthrough = False
                self._decode_packet(packet)
                return False
            if not self._seek_reached:
                start = packet.pts * packet.time_base * SAMPLE_RATE - self._origin
                if start + FRAME_SAMPLES <= self.start_ms * SAMPLE_RATE // 1000:
                    continue  # before the seek target
                self._seek_reached = True
            out.append(data)
            self._emitted += FRAME_SAMPLES
        return False

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
        if not len(block):
            return
        block = apply_gain(block, self.volume, None)
        if self._encoder is None:
            self._encoder = OpusEncoder(self.settings.opus_quality, self.settings.opus_bitrate)
        out.extend(self._encoder.encode(block))

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
