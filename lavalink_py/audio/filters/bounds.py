"""Bounded numeric fields for the filters beyond Lavalink.

Lavalink's own filters accept most numbers unchecked; these map onto FFmpeg options that refuse values outside
their ranges (the graph would fail to configure mid-stream), so every field gets an inclusive range here, checked
by `fields.parse_fields` (a bad value is a `RequestError` naming the field, before anything changes).
"""

from __future__ import annotations

from lavalink_py.audio.filters.fields import Field


def bounded(default: float, low: float, high: float) -> Field:
    return Field(default, lambda value: low <= value <= high, f"from {low} to {high}")


def db_to_linear(db: float) -> float:
    return float(10.0 ** (db / 20.0))
