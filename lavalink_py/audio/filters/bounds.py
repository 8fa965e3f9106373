"""Bounded numeric fields for the filters beyond Lavalink.

Lavalink's own filters accept most numbers unchecked; these map onto FFmpeg options that refuse values outside
their ranges (the graph would fail to configure mid-stream), so every field gets an inclusive range here, checked
by `fields.parse_fields` (a bad value is a `RequestError` naming the field, before anything changes).
"""

from __future__ import annotations

from lavalink_py.audio.filters.fields import Field


class Bounded(Field):
    """A field with an inclusive range (kept, so tests can try both ends)."""

    __slots__ = ("high", "low")

    def __init__(self, default: float, low: float, high: float) -> None:
        super().__init__(default, lambda value: low <= value <= high, f"from {low} to {high}")
        self.low = low
        self.high = high


def bounded(default: float, low: float, high: float) -> Bounded:
    return Bounded(default, low, high)


def db_to_linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))
