"""From a yt-dlp info dict (or a flat playlist entry) to the fields of a Lavalink TrackInfo."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lavalink_py.protocol.track import STREAM_LENGTH_MS

UNKNOWN_TITLE = "Unknown title"
UNKNOWN_AUTHOR = "Unknown artist"


def text(info: Mapping[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list) and value and isinstance(value[0], str) and value[0].strip():
            return value[0].strip()
    return None


def title(info: Mapping[str, Any]) -> str:
    return text(info, "title", "track", "fulltitle") or UNKNOWN_TITLE


def author(info: Mapping[str, Any]) -> str:
    return text(info, "uploader", "channel", "artist", "artists", "creator", "uploader_id") or UNKNOWN_AUTHOR


def is_live(info: Mapping[str, Any]) -> bool:
    return info.get("is_live") is True or info.get("live_status") == "is_live"


def length_ms(info: Mapping[str, Any]) -> int:
    """Lavaplayer's DURATION_MS_UNKNOWN (Long.MAX_VALUE) for live or unknown lengths."""
    duration = info.get("duration")
    if is_live(info) or not isinstance(duration, int | float) or isinstance(duration, bool):
        return STREAM_LENGTH_MS
    if not math.isfinite(duration) or duration < 0:
        return STREAM_LENGTH_MS
    return round(duration * 1000)


def best_thumbnail(info: Mapping[str, Any]) -> str | None:
    """yt-dlp lists thumbnails worst first; rank by its preference, then pixel count, then list order."""
    candidates: list[tuple[float, int, int, str]] = []
    for index, thumb in enumerate(info.get("thumbnails") or ()):
        if not isinstance(thumb, Mapping) or not isinstance(thumb.get("url"), str):
            continue
        preference = thumb.get("preference")
        width, height = thumb.get("width"), thumb.get("height")
        pixels = width * height if isinstance(width, int) and isinstance(height, int) else 0
        candidates.append((float(preference) if isinstance(preference, int | float) else 0.0, pixels, index,
                           thumb["url"]))
    if candidates:
        return max(candidates)[3]
    thumbnail = info.get("thumbnail")
    return thumbnail if isinstance(thumbnail, str) and thumbnail else None


def isrc(info: Mapping[str, Any]) -> str | None:
    return text(info, "isrc")


def entries(info: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A playlist's usable entries: yt-dlp leaves None where an entry failed with `ignoreerrors`."""
    return [entry for entry in info.get("entries") or () if isinstance(entry, Mapping)]
