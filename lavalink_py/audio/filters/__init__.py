"""Filters: one module per filter, and the framework they plug into.

`base.py` (FilterSpec, stages), `registry.py` (FilterRegistry), `chain.py` (FilterPlan -> one PyAV graph per run
of FFmpeg stages + numpy stages), `builtins.py` (Lavalink's ten, in its order).

Errors: a filter's `parse` raises `RequestError`; `FilterRegistry.register` raises `ValueError` on a taken name.
"""

from lavalink_py.audio.filters.base import FfmpegStage, FilterSpec, NumpyStage, NumpyStep, Pcm, Stage
from lavalink_py.audio.filters.builtins import default_registry, register_builtins
from lavalink_py.audio.filters.chain import FilterPlan, FilterProcessor
from lavalink_py.audio.filters.registry import FilterRegistry

__all__ = [
    "FfmpegStage",
    "FilterPlan",
    "FilterProcessor",
    "FilterRegistry",
    "FilterSpec",
    "NumpyStage",
    "NumpyStep",
    "Pcm",
    "Stage",
    "default_registry",
    "register_builtins",
]
