"""The SponsorBlock API (https://wiki.sponsor.ajay.app/w/API_Docs), and the plugin's segments and chapters. Parsing is
pure; `SponsorBlockClient` does the HTTP.

`GET {base}/api/skipSegments?videoID=<id>&categories=["sponsor",...]` answers a JSON array of
`{"segment": [start_s, end_s], "category", "actionType", "UUID", "videoDuration", "description", ...}`, or 404 when the
video has none. Chapters are SponsorBlock's `chapter` category with `actionType=chapter`; their `description` is the
chapter's name (the JVM plugin reads chapters from YouTube's InnerTube instead; SponsorBlock's are what a node
without a YouTube client can get).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from lavalink_py.plugins.api import RoutedHttp


@dataclass(frozen=True, slots=True)
class Segment:
    category: str
    start_ms: int
    end_ms: int

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "start": self.start_ms, "end": self.end_ms}


@dataclass(frozen=True, slots=True)
class Chapter:
    name: str
    start_ms: int
    end_ms: int

    def to_json(self) -> dict[str, Any]:
        # Chapter.kt: duration goes through DurationSerializer, a Long of milliseconds.
        return {"name": self.name, "start": self.start_ms, "end": self.end_ms, "duration": self.end_ms - self.start_ms}


def _times(item: dict[str, Any]) -> tuple[int, int] | None:
    times = item.get("segment")
    if not isinstance(times, list) or len(times) != 2 or not all(isinstance(t, int | float) for t in times):
        return None
    start, end = (int(t * 1000) for t in times)
    return (start, end) if end > start >= 0 else None


def parse_segments(body: Any) -> list[Segment]:
    """Skip segments in start order; anything else the API lists (mute, full-video labels, highlights) is not
    something to seek past, and malformed entries are dropped."""
    found = []
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, dict) or item.get("actionType", "skip") != "skip":
            continue
        times, category = _times(item), item.get("category")
        if times is not None and isinstance(category, str):
            found.append(Segment(category, *times))
    return sorted(found, key=lambda s: s.start_ms)


def parse_chapters(body: Any) -> list[Chapter]:
    found = []
    for item in body if isinstance(body, list) else []:
        if not isinstance(item, dict) or item.get("actionType") != "chapter":
            continue
        times, name = _times(item), item.get("description")
        if times is not None:
            found.append(Chapter(name if isinstance(name, str) else "", *times))
    return sorted(found, key=lambda c: c.start_ms)


def skip_segments_url(base_url: str, video_id: str, categories: Sequence[str], action_type: str) -> str:
    query = {"videoID": video_id, "categories": json.dumps(list(categories)), "actionType": action_type}
    return f"{base_url.rstrip('/')}/api/skipSegments?{urlencode(query)}"


class SponsorBlockClient:
    """SponsorBlock's API through the plugin API's requester (the route planner's address, 429 -> next)."""

    def __init__(self, base_url: str, http: RoutedHttp) -> None:
        self.base_url = base_url
        self._http = http  # the node closes it when it stops

    async def _get(self, url: str) -> Any:
        async with self._http.get(url) as response:
            if response.status == 404:  # "no segments found" is a 404 in SponsorBlock's API
                return []
            response.raise_for_status()
            return await response.json(content_type=None)

    async def segments(self, video_id: str, categories: Sequence[str]) -> list[Segment]:
        return parse_segments(await self._get(skip_segments_url(self.base_url, video_id, categories, "skip")))

    async def chapters(self, video_id: str) -> list[Chapter]:
        return parse_chapters(await self._get(skip_segments_url(self.base_url, video_id, ["chapter"], "chapter")))
