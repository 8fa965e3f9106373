"""YouTube and YouTube Music, shaped like youtube-source's router.

Claimed: `ytsearch:`/`ytmsearch:` (when search is enabled), youtube.com (www., m., music.) `/watch?v=` (with
`list=` -> the playlist, selecting the video), `/playlist?list=`, `/shorts|live|embed/<id>`, youtu.be/<id>, and a
bare 11-character video id or PL/UU playlist id. A youtube.com URL of another shape is "not ours".
Tracks: identifier = video id, uri = https://www.youtube.com/watch?v=<id>, no details bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.ytdlp import mapping
from lavalink_py.sources.ytdlp.site import Collection, Nothing, Route, Search, Single

SEARCH_PREFIX = "ytsearch:"
MUSIC_SEARCH_PREFIX = "ytmsearch:"
WATCH_URL = "https://www.youtube.com/watch?v="

_VIDEO_ID = re.compile(r"[a-zA-Z0-9_-]{11}")
_PLAYLIST_ID = re.compile(r"(?:PL|UU)[a-zA-Z0-9_-]+")
_MAIN_DOMAIN = re.compile(r"^(?:https?://|)(?:www\.|m\.|music\.|)youtube\.com/.*", re.I)
_SHORTHAND = re.compile(
    r"^(?:https?://|)(?:(?:www\.|m\.|music\.|)youtube\.com/(?:live|embed|shorts)|(?:www\.|)youtu\.be)/(?P<id>[^?#]*)",
    re.I,
)
# Liked videos, watch later and liked music need a logged-in account: play the video alone.
_ACCOUNT_LISTS = ("LL", "WL", "LM")
_VIDEO_IE_KEYS = frozenset({"Youtube", None})
# What a playlist shows in place of a video it can no longer play; youtube-source leaves such entries out.
_UNPLAYABLE_TITLES = frozenset({"[Private video]", "[Deleted video]", "[Unavailable video]"})


@dataclass(frozen=True, slots=True)
class YoutubeSite:
    search_enabled: bool = True
    allow_direct_video_ids: bool = True
    allow_direct_playlist_ids: bool = True
    search_limit: int = 20
    # YouTube Music's result stubs carry neither artist nor length, so each result is extracted in full.
    music_search_limit: int = 5
    music_base_url: str = "https://music.youtube.com"

    name = "youtube"
    failure_message = "This video cannot be loaded."

    def route(self, identifier: str) -> Route | None:
        for prefix, build in ((SEARCH_PREFIX, self._search), (MUSIC_SEARCH_PREFIX, self._music_search)):
            if identifier.startswith(prefix):
                if not self.search_enabled:
                    return None
                query = identifier[len(prefix) :].strip()
                return build(query) if query else Nothing()
        if _MAIN_DOMAIN.match(identifier):
            routed = self._main_domain(identifier)
            if routed is not None:
                return routed
        if self.allow_direct_video_ids and _VIDEO_ID.fullmatch(identifier):
            return _video(identifier, None)
        if self.allow_direct_playlist_ids and _PLAYLIST_ID.fullmatch(identifier):
            return Collection(f"https://www.youtube.com/playlist?list={identifier}")
        shorthand = _SHORTHAND.match(identifier)
        if shorthand:
            return _video(shorthand.group("id"), None)
        return None

    def _search(self, query: str) -> Route:
        return Search(f"ytsearch{self.search_limit}:{query}", self.search_limit)

    def _music_search(self, query: str) -> Route:
        url = f"{self.music_base_url}/search?q={quote_plus(query)}#songs"
        return Search(url, self.music_search_limit, flat=False)

    def _main_domain(self, url: str) -> Route | None:
        parts = urlsplit(url if "://" in url else "https://" + url)
        params = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
        if parts.path == "/watch" and "v" in params:
            return _video(params["v"], params.get("list"))
        if parts.path == "/playlist" and "list" in params:
            list_id = params["list"]
            if list_id.startswith("RD"):
                # A mix is defined by its seed video, which follows "RD" in the list id.
                return Collection(f"https://www.youtube.com/watch?v={list_id[2:]}&list={list_id}")
            return Collection(f"https://www.youtube.com/playlist?list={list_id}")
        return None

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        if entry.get("_type") in ("url", "url_transparent") and entry.get("ie_key") not in _VIDEO_IE_KEYS:
            return None  # channels and playlists among search results
        if entry.get("title") in _UNPLAYABLE_TITLES and entry.get("duration") is None:
            return None
        video_id = key if key and _VIDEO_ID.fullmatch(key) else mapping.text(entry, "id")
        if not video_id:
            return None
        return TrackInfo(
            title=mapping.title(entry),
            author=mapping.author(entry),
            length_ms=mapping.length_ms(entry),
            identifier=video_id,
            is_stream=mapping.is_live(entry),
            uri=WATCH_URL + video_id,
            source_name=self.name,
            artwork_url=_artwork(entry, video_id),
            isrc=mapping.isrc(entry),
        )

    def page_url(self, info: TrackInfo) -> str:
        return WATCH_URL + info.identifier


def _video(video_id: str, list_id: str | None) -> Route:
    trimmed = video_id[:11]
    if not _VIDEO_ID.fullmatch(trimmed):
        return Nothing()
    if list_id and not list_id.startswith(_ACCOUNT_LISTS):
        if list_id.startswith("RD"):
            return Collection(f"https://www.youtube.com/watch?v={trimmed}&list={list_id}", trimmed)
        return Collection(f"https://www.youtube.com/playlist?list={list_id}", trimmed)
    return Single(WATCH_URL + trimmed, trimmed)


def _artwork(entry: Mapping[str, Any], video_id: str) -> str:
    """youtube-source's choice: maxresdefault when YouTube has one, else the always-present mqdefault."""
    for thumb in entry.get("thumbnails") or ():
        url = thumb.get("url") if isinstance(thumb, Mapping) else None
        if isinstance(url, str) and "maxresdefault" in url and not url.endswith(".webp"):
            return url.split("?", 1)[0]
    return f"https://i.ytimg.com/vi/{video_id}/mqdefault.jpg"
