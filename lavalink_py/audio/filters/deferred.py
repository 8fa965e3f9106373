"""Modules the DSP stages need, imported the first time a stage touches them instead of with the filter modules.

The node registers every filter at start (PATCH validation, `/v4/info`), but parsing, echoing and planning filters
needs no numpy, scipy or PyAV: only a stream's stages do, and they are built and run on the engine's pools. So the
filter modules bind these names to a `Deferred` at run time (mypy sees the real import under TYPE_CHECKING), and the
~150 ms and ~30 MiB of the numeric stack load on the pool thread of the first stream with a filter (issue 11).

A `Deferred` does not enter `sys.modules` until its first attribute access: "is numpy loaded?" keeps its meaning.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class Deferred:
    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        # Only reached for names not on the proxy itself (its slots are found first). import_module is thread-safe
        # (the import lock), so two pool threads reaching here at once share one import.
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<Deferred {self._name!r}, {state}>"
