"""PCM stages in a worker thread: resample any decoded frame to 48 kHz stereo s16, gain + filters, Opus encode."""

from __future__ import annotations

import logging
from fractions import Fraction

import av
import av.filter
import numpy as np
import numpy.typing as npt

from lavalink_py.audio import libopus, swr
from lavalink_py.audio.frames import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE
from lavalink_py.audio.overload import BANDWIDTHS, EncoderLevel
from lavalink_py.audio.results import FilterChain
from lavalink_py.audio.settings import ResamplingQuality
from lavalink_py.audio.volume import apply_volume

Int16Pcm = npt.NDArray[np.int16]

log = logging.getLogger(__name__)

# Lavalink maps these to libsamplerate's LINEAR / SINC_MEDIUM / SINC_BEST. FFmpeg's swr offers the same
# trade-off through its polyphase filter: fewer taps and phases cost less CPU and leak more aliasing.
# LOW = linear interpolation between 8-tap phases (cheapest, what most nodes run), MEDIUM = 16 taps,
# HIGH = swr's default 32 taps with 1024 phases and a wider cutoff.
RESAMPLE_ARGS = {
    ResamplingQuality.LOW: "filter_size=8:phase_shift=6:linear_interp=1",
    ResamplingQuality.MEDIUM: "filter_size=16:phase_shift=8:linear_interp=1",
    ResamplingQuality.HIGH: "filter_size=32:phase_shift=10:cutoff=0.97",
}


class GraphResampler:
    """aresample+aformat graph, rebuilt when the input format changes (HLS variants, chained Ogg). What the node
    ran before swr.py; kept where libswresample cannot be loaded through ctypes, and as the tests' reference."""

    def __init__(self, quality: ResamplingQuality) -> None:
        self._args = RESAMPLE_ARGS[quality]
        self._graph: av.filter.Graph | None = None
        self._key: tuple[str, int, str] | None = None

    def _build(self, frame: av.AudioFrame) -> None:
        graph = av.filter.Graph()
        src = graph.add_abuffer(
            format=frame.format.name,
            sample_rate=frame.sample_rate,
            layout=frame.layout.name,
            time_base=Fraction(1, frame.sample_rate),
        )
        resample = graph.add("aresample", f"{SAMPLE_RATE}:{self._args}")
        fmt = graph.add("aformat", f"sample_fmts=s16:sample_rates={SAMPLE_RATE}:channel_layouts=stereo")
        sink = graph.add("abuffersink")
        src.link_to(resample)
        resample.link_to(fmt)
        fmt.link_to(sink)
        graph.configure()
        self._graph = graph

    def resample(self, frame: av.AudioFrame) -> list[Int16Pcm]:
        """Return chunks of (samples, 2) int16 at 48 kHz; the caller keeps time by counting samples."""
        key = (frame.format.name, frame.sample_rate, frame.layout.name)
        if key != self._key or self._graph is None:
            self._build(frame)
            self._key = key
        assert self._graph is not None
        # Timestamps stay out of the graph: positions are counted in samples (cheaper than Fraction maths per
        # frame, and immune to containers whose time bases the graph would have to re-express).
        frame.pts = None
        self._graph.push(frame)
        out: list[Int16Pcm] = []
        while True:
            try:
                got = self._graph.pull()
            except (BlockingIOError, EOFError):
                return out
            assert isinstance(got, av.AudioFrame)
            samples: Int16Pcm = np.frombuffer(memoryview(got.planes[0]), dtype=np.int16, count=got.samples * CHANNELS)
            out.append(samples.reshape(-1, CHANNELS))


class Resampler:
    """Any decoded frame to 48 kHz stereo s16: libswresample through ctypes (swr.py), one call per frame, set up as
    the graph's `aresample` is (the same samples); the graph where swr cannot be loaded or refuses a format. A new
    context when the input format changes (HLS variants, chained Ogg)."""

    def __init__(self, quality: ResamplingQuality) -> None:
        self._quality = quality
        self._swr: swr.SwrResampler | None = None
        self._graph: GraphResampler | None = None
        self._key: tuple[str, int, str] | None = None
        self._planes = 1

    def resample(self, frame: av.AudioFrame) -> list[Int16Pcm]:
        """Return chunks of (samples, 2) int16 at 48 kHz; the caller keeps time by counting samples."""
        fmt, layout = frame.format, frame.layout
        key = (fmt.name, frame.sample_rate, layout.name)
        if key != self._key:
            self._open(key, len(layout.channels) if fmt.is_planar else 1)
        if self._swr is not None:
            chunk = self._swr.convert(frame, self._planes)
            return [chunk] if len(chunk) else []
        assert self._graph is not None
        return self._graph.resample(frame)

    def _open(self, key: tuple[str, int, str], planes: int) -> None:
        self._key, self._planes, self._swr, self._graph = key, planes, None, None
        if swr.LIBS is not None:
            try:
                self._swr = swr.SwrResampler(swr.LIBS, *key, out_rate=SAMPLE_RATE, args=RESAMPLE_ARGS[self._quality])
                return
            except swr.SwrError:
                log.warning("libswresample refused %s; resampling through the filter graph", key, exc_info=True)
        self._graph = GraphResampler(self._quality)


def apply_gain(block: Int16Pcm, volume: int, filters: FilterChain | None) -> Int16Pcm:
    """Filters, then the player volume on s16 (lavaplayer's order: user filters, then its volume processor)."""
    if filters is not None:
        pcm = block.astype(np.float32) * np.float32(1 / 32768)
        pcm = filters.process(pcm)
        block = np.clip(pcm * 32768.0, -32768, 32767).astype(np.int16)
    return apply_volume(block, volume)


# libopus at 48 kHz ("audio" application) hands out its input delayed by this many samples (2.5 ms + 4 ms).
ENCODER_LOOKAHEAD = 312


class OpusEncoder:
    def __init__(self, complexity: int, bitrate: int) -> None:
        self._native = None if libopus.LIB is None else libopus.CtypesOpusEncoder(libopus.LIB, complexity, bitrate)
        self.level = EncoderLevel(complexity, bitrate)  # what it runs at (the overload policy's step)
        if self._native is not None:
            return
        ctx = av.CodecContext.create("libopus", "w")
        ctx.sample_rate = SAMPLE_RATE
        ctx.layout = "stereo"
        ctx.format = "s16"
        ctx.bit_rate = bitrate
        ctx.time_base = Fraction(1, SAMPLE_RATE)
        ctx.options = {"compression_level": str(complexity), "frame_duration": "20", "application": "audio"}
        ctx.open()
        self._ctx = ctx
        self._pts = 0

    def follow(self, level: EncoderLevel) -> None:
        """The overload policy's complexity, bitrate and band from the next frame on. PyAV's encoder (the
        fallback) takes its settings only when opened, so there they stay what they were."""
        if self._native is None or level == self.level:
            return
        self._native.set_complexity(level.complexity)
        if level.bitrate != self.level.bitrate:
            self._native.ctl(libopus.SET_BITRATE, level.bitrate)
        if level.bandwidth != self.level.bandwidth:
            self._native.ctl(libopus.SET_MAX_BANDWIDTH, BANDWIDTHS[level.bandwidth])
        self.level = level

    @property
    def complexity(self) -> int:
        return self.level.complexity

    def encode(self, block: Int16Pcm) -> list[bytes]:
        """Encode whole 960-sample frames of `block` (its length is a multiple of FRAME_SAMPLES)."""
        out: list[bytes] = []
        if self._native is not None:
            return self._native.encode_frames(np.ascontiguousarray(block))
        for i in range(0, len(block), FRAME_SAMPLES):
            chunk = block[i : i + FRAME_SAMPLES].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = self._pts
            self._pts += FRAME_SAMPLES
            out.extend(bytes(p) for p in self._ctx.encode(frame))
        return out
