"""What a live stream needs to redo its buffered frames with new settings (volume, filters, or neither).

A live stream (isStream) cannot be reopened at a position, and its frame buffer holds seconds of audio already
made with the old settings: heard only once that drained, a change would come 5 s late (`frame_buffer_ms`). So
the stream keeps the unfiltered source of what it has decoded (`SourceHistory`) and, on a change, drops the
buffered frames past the next few, rewinds to the source time the listener will have reached there, and makes
them again through the new chain (pipeline.py `TrackStream.restyle`). Three pieces make the junction inaudible:

- `LeadingEncoder`: a fresh libopus encoder primed with the audio just heard, fed from ENCODER_LOOKAHEAD into it,
  so its first real frame decodes to exactly the samples after the last kept frame, from a state close to the
  listener decoder's (no gap, no repeat, no soft start);
- the filter chain is warmed on the source before the junction (its IIR state, its graph's latency measured and
  skipped), so it starts mid-signal rather than from silence;
- `crossfade`: the first new frame fades from the old frame it replaces (decoded), so a filter that changes
  the waveform a lot (a low pass coming in) does not step between two samples.

Memory: the history holds the source from the oldest frame still buffered (less a warm-up margin) to what has
been decoded. An Opus source keeps its packets (about 20 KB per second at 160 kb/s) and decodes them again only
on a change; anything else keeps 16-bit PCM (192 KB per second). Non-live streams keep none (they reopen).
"""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

import av
import numpy as np

from lavalink_py.audio.frames import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE
from lavalink_py.audio.pcm import ENCODER_LOOKAHEAD, Int16Pcm, OpusEncoder

# Before a packet run: a fresh Opus decoder converges on the one that decoded all along by ~6 dB a frame (CELT
# predicts band energies from the previous frame), so 8 packets (160 ms) put it ~60 dB close.
PRIMER_PACKETS = 8
_EMPTY: Int16Pcm = np.zeros((0, CHANNELS), np.int16)


def decoder() -> av.AudioCodecContext:
    ctx = av.CodecContext.create("opus", "r")
    assert isinstance(ctx, av.AudioCodecContext)
    ctx.sample_rate = SAMPLE_RATE
    ctx.layout = "stereo"
    return ctx


def decode(ctx: av.AudioCodecContext, frame: bytes) -> Int16Pcm:
    chunks: list[Int16Pcm] = []
    try:
        decoded_frames = ctx.decode(av.Packet(frame))
    except av.FFmpegError:
        return _EMPTY
    for decoded in decoded_frames:
        samples = decoded.to_ndarray()
        interleaved = (samples.T if decoded.format.is_planar else samples).reshape(-1, CHANNELS)
        if interleaved.dtype == np.int16:
            chunks.append(interleaved.astype(np.int16))
        else:  # FFmpeg's Opus decoder gives float
            chunks.append(np.clip(np.rint(interleaved * 32768.0), -32768, 32767).astype(np.int16))
    return np.concatenate(chunks) if chunks else _EMPTY


def decode_frames(frames: list[bytes]) -> list[Int16Pcm]:
    """Each frame's audio by one decoder (so each after the first is decoded warm); a frame that does not decode to
    20 ms gives 20 ms of silence, so the list keeps the frames' time."""
    ctx = decoder()
    out = []
    for frame in frames:
        pcm = decode(ctx, frame)
        out.append(pcm if len(pcm) == FRAME_SAMPLES else np.zeros((FRAME_SAMPLES, CHANNELS), np.int16))
    return out


class LeadingEncoder:
    """libopus primed with `heard` (whole frames the listener decoded just before), with no output delay.

    libopus hands out its input ENCODER_LOOKAHEAD samples late; fed `heard` from that offset, its frames standing
    for `heard` (dropped) end exactly where the new audio starts, so frame n+1 decodes to new samples 0..959.
    The price is one frame held back: a run of m frames gives m - 1 until more follows (the stream runs on).
    """

    def __init__(self, complexity: int, bitrate: int, heard: list[Int16Pcm]) -> None:
        self.opus = OpusEncoder(complexity, bitrate)  # the overload policy may turn its complexity down
        primer = heard or [np.zeros((FRAME_SAMPLES, CHANNELS), np.int16)]
        self._input: Int16Pcm = np.concatenate(primer)[ENCODER_LOOKAHEAD:]
        self._warm_up = len(primer)

    def encode(self, block: Int16Pcm) -> list[bytes]:
        pcm = np.concatenate([self._input, block]) if len(self._input) else block
        whole = len(pcm) // FRAME_SAMPLES * FRAME_SAMPLES
        self._input = pcm[whole:]
        out = self.opus.encode(np.ascontiguousarray(pcm[:whole])) if whole else []
        if self._warm_up:
            dropped = min(self._warm_up, len(out))
            out, self._warm_up = out[dropped:], self._warm_up - dropped
        return out


def crossfade(old: Int16Pcm, new: Int16Pcm) -> Int16Pcm:
    """`new` whose first len(old) samples fade in from `old` (a raised-cosine, 20 ms for one frame)."""
    n = min(len(old), len(new))
    if n == 0:
        return new
    w = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)[:, None]
    head = old[:n].astype(np.float32) * (1 - w) + new[:n].astype(np.float32) * w
    out = new.copy()
    out[:n] = np.clip(np.rint(head), -32768, 32767).astype(np.int16)
    return out


class _Entry(NamedTuple):
    start: int  # source sample index (TrackStream's `_emitted` scale) of its first sample
    samples: int
    packet: bytes | None  # an Opus source's own 20 ms packet, decoded again when needed
    pcm: Int16Pcm | None  # or its decoded audio, for every other source


def _end(entry: _Entry) -> int:
    return entry.start + entry.samples


class SourceHistory:
    """The unfiltered source of a live stream by sample index, in order; one producer thread uses it."""

    def __init__(self) -> None:
        self._entries: deque[_Entry] = deque()
        self.nbytes = 0

    @property
    def end(self) -> int:
        return self._entries[-1].start + self._entries[-1].samples if self._entries else 0

    @property
    def start(self) -> int:
        return self._entries[0].start if self._entries else 0

    def add_packet(self, start: int, packet: bytes) -> None:
        self._cut(start)
        self._entries.append(_Entry(start, FRAME_SAMPLES, packet, None))
        self.nbytes += len(packet)

    def add_pcm(self, start: int, pcm: Int16Pcm) -> None:
        if len(pcm):
            self._cut(start)
            self._entries.append(_Entry(start, len(pcm), None, pcm))
            self.nbytes += pcm.nbytes

    def prune(self, before: int) -> None:
        """Forget entries that end before `before` (keeping PRIMER_PACKETS more, to decode the next warm)."""
        entries = self._entries
        while len(entries) > PRIMER_PACKETS and _end(entries[PRIMER_PACKETS]) < before:
            self._drop(entries.popleft())

    def _cut(self, start: int) -> None:
        # A rewind makes the source from `start` again: what was recorded there is replaced.
        entries = self._entries
        while entries and entries[-1].start >= start:
            self._drop(entries.pop())
        if entries and entries[-1].start + entries[-1].samples > start:
            last = self._drop(entries.pop())
            if last.pcm is not None:
                self.add_pcm(last.start, last.pcm[: start - last.start])
            # a packet cannot be cut: it goes, and the new audio from `start` replaces it

    def _drop(self, entry: _Entry) -> _Entry:
        self.nbytes -= len(entry.packet) if entry.packet is not None else 0 if entry.pcm is None else entry.pcm.nbytes
        return entry

    def packets_from(self, start: int) -> tuple[int, list[bytes]] | None:
        """The source's own packets from the one nearest `start` to the end, with the first one's index; None
        when any of that stretch is not a packet (then the stream cannot go back to passthrough here)."""
        run = [e for e in self._entries if e.start + e.samples // 2 > start]
        if not run or any(e.packet is None for e in run):
            return None
        return run[0].start, [e.packet for e in run if e.packet is not None]

    def pcm(self, start: int, end: int) -> Int16Pcm | None:
        """The source from `start` to `end`; None when the history does not hold all of it."""
        if end <= start:
            return _EMPTY
        if not self._entries or start < self.start or end > self.end:
            return None
        entries = list(self._entries)
        parts: list[Int16Pcm] = []
        ctx: av.AudioCodecContext | None = None
        for i, entry in enumerate(entries):
            if entry.start + entry.samples <= start:
                continue
            if entry.start >= end:
                break
            if entry.pcm is not None:
                ctx = None
                audio = entry.pcm
            else:
                assert entry.packet is not None
                if ctx is None:  # a packet run starts: a decoder warmed on the packets before it
                    ctx = decoder()
                    for before in entries[max(0, i - PRIMER_PACKETS) : i]:
                        if before.packet is not None:
                            decode(ctx, before.packet)
                audio = decode(ctx, entry.packet)
                if len(audio) != FRAME_SAMPLES:
                    audio = np.zeros((FRAME_SAMPLES, CHANNELS), np.int16)
            lo, hi = max(start, entry.start) - entry.start, min(end, entry.start + entry.samples) - entry.start
            parts.append(audio[lo:hi])
        return np.concatenate(parts) if parts else _EMPTY
