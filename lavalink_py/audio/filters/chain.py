"""A player's filter chain: the plan (immutable, made once per filters change) and the processor one stream runs.

`FilterPlan.open()` builds a `FilterProcessor` for a stream: each run of consecutive `FfmpegStage`s becomes ONE
PyAV `av.filter.Graph` (abuffer -> the stages' filters in order -> aformat -> abuffersink), configured once and fed
block after block, never rebuilt per frame; each `NumpyStep` becomes its own fresh `NumpyStage`. With Lavalink's
order a typical chain is at most numpy -> graph -> numpy. It runs between resampling and player volume/encoding.

A graph may hold samples back (atempo, asetrate+aresample): `process` returns what is ready, `flush` drains the
rest at the end of the stream.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from typing import TYPE_CHECKING, Protocol

from lavalink_py.audio.filters.base import FfmpegStage, NumpyStage, NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.deferred import Deferred

if TYPE_CHECKING:
    import av
    import av.filter as av_filter
    import numpy as np
else:
    av = Deferred("av")
    av_filter = Deferred("av.filter")
    np = Deferred("numpy")

SAMPLE_RATE = 48_000
CHANNELS = 2
PUSH_SAMPLES = 960


@cache
def _empty() -> Pcm:
    # Made on first use (numpy loads with the first stream's chain, not at start); shared, never written to.
    return np.zeros((0, CHANNELS), np.float32)


@dataclass(frozen=True, slots=True)
class FilterPlan:
    stages: tuple[Stage, ...]

    @property
    def speed(self) -> float:
        """Source samples per output sample of the whole chain (1.0 unless a timescale stage is in it)."""
        return math.prod(stage.speed for stage in self.stages if isinstance(stage, FfmpegStage))

    def open(self) -> FilterProcessor:
        return FilterProcessor(self.stages)


class _Unit(Protocol):
    def process(self, block: Pcm) -> Pcm: ...
    def flush(self) -> Pcm: ...


class _NumpyUnit:
    __slots__ = ("_stage",)

    def __init__(self, stage: NumpyStage) -> None:
        self._stage = stage

    def process(self, block: Pcm) -> Pcm:
        return self._stage.process(block) if len(block) else block

    def flush(self) -> Pcm:
        return _empty()


class GraphRun:
    """Consecutive FFmpeg stages as one configured filter graph over packed float stereo at 48 kHz."""

    def __init__(self, filters: list[tuple[str, str]]) -> None:
        graph = av_filter.Graph()
        node = graph.add_abuffer(
            format="flt", sample_rate=SAMPLE_RATE, layout="stereo", time_base=Fraction(1, SAMPLE_RATE)
        )
        for name, args in filters:
            nxt = graph.add(name, args) if args else graph.add(name)
            node.link_to(nxt)
            node = nxt
        fmt = graph.add("aformat", f"sample_fmts=flt:sample_rates={SAMPLE_RATE}:channel_layouts=stereo")
        sink = graph.add("abuffersink")
        node.link_to(fmt)
        fmt.link_to(sink)
        graph.configure()
        self._graph = graph
        self._pts = 0
        self._ended = False

    def process(self, block: Pcm) -> Pcm:
        # Pushed in 20 ms frames: atempo hands out a frame's worth only once the next one arrives, so one push of
        # a whole batch would come out a batch late (a second, at the engine's batch size).
        block = np.ascontiguousarray(block, np.float32)
        for start in range(0, len(block), PUSH_SAMPLES):
            chunk = block[start : start + PUSH_SAMPLES]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            frame.time_base = Fraction(1, SAMPLE_RATE)
            frame.pts = self._pts
            self._pts += len(chunk)
            self._graph.push(frame)
        return self._pull()

    def flush(self) -> Pcm:
        if self._ended:
            return _empty()
        self._ended = True
        self._graph.push(None)
        return self._pull()

    def _pull(self) -> Pcm:
        out: list[Pcm] = []
        while True:
            try:
                got = self._graph.pull()
            except (BlockingIOError, EOFError):
                break
            assert isinstance(got, av.AudioFrame)
            pcm: Pcm = np.frombuffer(memoryview(got.planes[0]), dtype=np.float32, count=got.samples * CHANNELS)
            out.append(pcm.reshape(-1, CHANNELS))
        if not out:
            return _empty()
        return out[0].copy() if len(out) == 1 else np.concatenate(out)


class FilterProcessor:
    """The stateful chain of one stream. Not thread-safe: the stream's fill lock serialises calls."""

    def __init__(self, stages: tuple[Stage, ...]) -> None:
        units: list[_Unit] = []
        pending: list[tuple[str, str]] = []
        for stage in stages:
            if isinstance(stage, FfmpegStage):
                pending.extend(stage.filters)
                continue
            if pending:
                units.append(GraphRun(pending))
                pending = []
            assert isinstance(stage, NumpyStep)
            units.append(_NumpyUnit(stage.make()))
        if pending:
            units.append(GraphRun(pending))
        self._units = units

    def process(self, block: Pcm) -> Pcm:
        for unit in self._units:
            block = unit.process(block)
        return block

    def flush(self) -> Pcm:
        """At the end of the stream: what the graphs still hold, through the rest of the chain."""
        block = _empty()
        for unit in self._units:
            block = unit.process(block)
            tail = unit.flush()
            if len(tail):
                block = np.concatenate([block, tail]) if len(block) else tail
        return block
