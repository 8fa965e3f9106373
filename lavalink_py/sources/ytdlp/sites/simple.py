"""Twitch, Vimeo and Niconico: one URL shape each, single tracks only, as lavaplayer's managers accept.

- Twitch: live channels `https://(www.|go.|m.)twitch.tv/<channel>`; identifier = uri = the URL given, author = the
  channel, always a stream; an offline channel loads as `empty`.
- Vimeo: `https://vimeo.com/<numeric id>` (and player.vimeo.com/video/<id>); identifier = the id.
- Niconico: `nicovideo.jp/watch/<2 letters + digits>`; identifier = the id.
None of them writes details bytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from lavalink_py.sources.ytdlp import mapping
from lavalink_py.sources.ytdlp.site import Route, Single

_TWITCH = re.compile(r"^https://(?:www\.|go\.|m\.)?twitch\.tv/([^/?#]+)$", re.I)
_TWITCH_PREVIEW = "https://static-cdn.jtvnw.net/previews-ttv/live_user_{}-440x248.jpg"
_VIMEO = re.compile(r"^https?://(?:www\.|player\.)?vimeo\.com/(?:video/)?([0-9]+)/?(?:\?.*|)$", re.I)
_NICO = re.compile(r"^(?:https?://|)(?:www\.|sp\.|)nicovideo\.jp/watch/([a-z]{2}[0-9]+)(?:\?.*|)$", re.I)


def _info(entry: Mapping[str, Any], *, identifier: str, uri: str, source_name: str) -> TrackInfo:
    return TrackInfo(
        title=mapping.title(entry),
        author=mapping.author(entry),
        length_ms=mapping.length_ms(entry),
        identifier=identifier,
        is_stream=mapping.is_live(entry),
        uri=uri,
        source_name=source_name,
        artwork_url=mapping.best_thumbnail(entry),
        isrc=mapping.isrc(entry),
    )


@dataclass(frozen=True, slots=True)
class TwitchSite:
    name = "twitch"
    failure_message = "Loading Twitch channel information failed."

    def route(self, identifier: str) -> Route | None:
        # The key is the URL as given: lavaplayer keeps it as both identifier and uri.
        return Single(identifier, identifier) if _TWITCH.match(identifier) else None

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        match = _TWITCH.match(key or "")
        uri = key if match else mapping.text(entry, "webpage_url", "original_url")
        if uri is None:
            return None
        # Lowercased with no locale rules, as Twitch logins are ASCII.
        channel = match.group(1).lower() if match else (mapping.text(entry, "uploader_id", "display_id") or "")
        return TrackInfo(
            title=mapping.text(entry, "description", "title") or mapping.UNKNOWN_TITLE,
            author=channel or mapping.author(entry),
            length_ms=STREAM_LENGTH_MS,
            identifier=uri,
            is_stream=True,
            uri=uri,
            source_name=self.name,
            artwork_url=_TWITCH_PREVIEW.format(channel) if channel else mapping.best_thumbnail(entry),
        )

    def page_url(self, info: TrackInfo) -> str:
        return info.uri or info.identifier


@dataclass(frozen=True, slots=True)
class VimeoSite:
    name = "vimeo"
    failure_message = "Loading Vimeo track information failed."

    def route(self, identifier: str) -> Route | None:
        match = _VIMEO.match(identifier)
        return Single(f"https://vimeo.com/{match.group(1)}", match.group(1)) if match else None

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        video_id = key or mapping.text(entry, "id")
        if not video_id:
            return None
        return _info(entry, identifier=video_id, uri=f"https://vimeo.com/{video_id}", source_name=self.name)

    def page_url(self, info: TrackInfo) -> str:
        return f"https://vimeo.com/{info.identifier}"


@dataclass(frozen=True, slots=True)
class NiconicoSite:
    name = "niconico"
    failure_message = "Error occurred when extracting video info."

    def route(self, identifier: str) -> Route | None:
        match = _NICO.match(identifier)
        return Single(f"https://www.nicovideo.jp/watch/{match.group(1)}", match.group(1)) if match else None

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        video_id = key or mapping.text(entry, "id")
        if not video_id:
            return None
        uri = f"https://www.nicovideo.jp/watch/{video_id}"
        return _info(entry, identifier=video_id, uri=uri, source_name=self.name)

    def page_url(self, info: TrackInfo) -> str:
        return f"https://www.nicovideo.jp/watch/{info.identifier}"
