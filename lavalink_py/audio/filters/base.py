"""The filter plug point: what one filter is, and the two kinds of DSP stage it can contribute.

A `FilterSpec` is one filter, built-in or from a plugin; both register in the node's `FilterRegistry` the same
way. Its life: `parse` turns the client's JSON into frozen params (or raises `RequestError` naming `where`),
`to_json` echoes them with defaults, `is_neutral` says they change nothing (so the filter is left out and Opus
passthrough stays possible), and `stage` describes the DSP that applies them:

- `FfmpegStage`: FFmpeg audio filters (name, args) that run in the chain's PyAV filter graph. Consecutive FFmpeg
  stages share one graph; `speed` is how many source samples one output sample stands for (timescale), so
  positions and the track's end follow the source time, as in Lavalink.
- `NumpyStep`: where FFmpeg has no twin of Lavalink's formula, a factory of a stateful `NumpyStage`, made fresh
  for every stream (a seek or restart must not carry the previous stream's filter state).

All stages see 48 kHz stereo float32 PCM, shape (samples, 2), nominally in [-1, 1], in a pool thread.

Errors: `parse` raises `lavalink_py.protocol.validation.RequestError` (400 with Lavalink's body);
`FilterRegistry.register` raises `ValueError` for a name already taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

# A string alias: the registry imports this module at start, and numpy loads only with a stream's stages (issue 11).
Pcm: TypeAlias = "npt.NDArray[np.float32]"
"""48 kHz stereo float32, shape (samples, 2)."""

P = TypeVar("P")


class NumpyStage(Protocol):
    """Stateful DSP over consecutive blocks of one stream; returns a block of the same shape."""

    def process(self, block: Pcm) -> Pcm: ...


@dataclass(frozen=True, slots=True)
class FfmpegStage:
    filters: tuple[tuple[str, str], ...]
    speed: float = 1.0  # source samples per output sample


@dataclass(frozen=True, slots=True)
class NumpyStep:
    make: Callable[[], NumpyStage]


Stage = FfmpegStage | NumpyStep


class FilterSpec(Protocol[P]):
    """One filter. `name` is its key in `filters` (built-in) or in `filters.pluginFilters` (plugin)."""

    @property
    def name(self) -> str: ...

    def parse(self, value: Any, where: str) -> P: ...

    def to_json(self, params: P) -> Any: ...

    def is_neutral(self, params: P) -> bool: ...

    def stage(self, params: P) -> Stage: ...
