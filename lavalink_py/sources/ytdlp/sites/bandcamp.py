"""Bandcamp, shaped like lavaplayer's BandcampAudioSourceManager.

Claimed: `https://<band>.bandcamp.com/track/<slug>` (one track) and `/album/<slug>` (a playlist named after the
album), and `bcsearch:` (Bandcamp's search page, which yt-dlp has no extractor for: see `bandcamp_search.py`).
Tracks: identifier = uri = the track page URL, no details bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.ytdlp import mapping
from lavalink_py.sources.ytdlp.site import Collection, Route, Single

SEARCH_PREFIX = "bcsearch:"
_URL = re.compile(r"^(https?://(?:[^./]+\.|)bandcamp\.com)/(track|album)/([a-zA-Z0-9_-]+)/?(?:\?.*|)$", re.I)


@dataclass(frozen=True, slots=True)
class BandcampSite:
    name = "bandcamp"
    failure_message = "Loading information for a Bandcamp resource failed."

    def route(self, identifier: str) -> Route | None:
        match = _URL.match(identifier)
        if match is None:
            return None
        url = f"{match.group(1)}/{match.group(2)}/{match.group(3)}"
        # Album track stubs carry only a title, so each track page is read for its length and artist.
        return Collection(url, flat=False) if match.group(2).lower() == "album" else Single(url)

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        uri = mapping.text(entry, "webpage_url", "original_url", "url")
        if uri is None:
            return None
        uri = uri.split("?", 1)[0]
        return TrackInfo(
            title=mapping.text(entry, "track", "title") or mapping.UNKNOWN_TITLE,
            author=mapping.text(entry, "artist", "artists", "uploader") or mapping.UNKNOWN_AUTHOR,
            length_ms=mapping.length_ms(entry),
            identifier=uri,
            is_stream=False,
            uri=uri,
            source_name=self.name,
            artwork_url=mapping.best_thumbnail(entry),
            isrc=mapping.isrc(entry),
        )

    def page_url(self, info: TrackInfo) -> str:
        return info.uri or info.identifier
