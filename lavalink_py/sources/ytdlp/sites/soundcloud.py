"""SoundCloud, shaped like lavaplayer's SoundCloudAudioSourceManager.

Claimed: `scsearch:` and `scsearch[offset,limit]:` (when search is enabled); soundcloud.com (www., m.) track
URLs `/<user>/<slug>` and unlisted `/<user>/<slug>/s-<token>`, sets `/<user>/sets/<slug>`, likes `/<user>/likes`;
on.soundcloud.com and soundcloud.app.goo.gl short links (yt-dlp follows their redirect).
Tracks: identifier = SoundCloud's numeric track id, uri = the permalink, isrc from publisher_metadata.
Lavaplayer's own identifiers are format lookups ("O:https://api-v2...") it can re-derive from the uri, and an
identifier it does not recognise sends it to the uri too: so both sides play each other's tracks via the uri.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.ytdlp import mapping
from lavalink_py.sources.ytdlp.site import Collection, Nothing, Route, Search, Single

SEARCH_PREFIX = "scsearch:"
_PAGED_SEARCH = re.compile(r"^scsearch\[([0-9]{1,9}),([0-9]{1,9})\]:\s*(.*?)\s*$")
_SITE = r"^(?:https?://|)(?:www\.|)(?:m\.|)soundcloud\.com/"
_TRACK = re.compile(_SITE + r"([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)/?(?:\?.*|)$")
_UNLISTED = re.compile(_SITE + r"([a-zA-Z0-9_-]+)/([a-zA-Z0-9_-]+)/s-([a-zA-Z0-9_-]+)(?:\?.*|)$")
_SET = re.compile(_SITE + r"([a-zA-Z0-9_:-]+)/sets/([a-zA-Z0-9_:-]+)/?([a-zA-Z0-9_:-]+)?(?:\?.*|)$")
_LIKES = re.compile(_SITE + r"([a-zA-Z0-9_-]+)/likes/?(?:\?.*|)$")
_SHORT = re.compile(r"^(?:https?://|)(?:on\.soundcloud\.com|soundcloud\.app\.goo\.gl)/[a-zA-Z0-9_-]+/?(?:\?.*|)$")
MAX_SEARCH_RESULTS = 200


def _https(url: str) -> str:
    url = url if "://" in url else "https://" + url
    return re.sub(r"^https?://(?:www\.|m\.)?soundcloud\.com/", "https://soundcloud.com/", url)


@dataclass(frozen=True, slots=True)
class SoundcloudSite:
    search_enabled: bool = True
    search_limit: int = 10

    name = "soundcloud"
    failure_message = "Loading track from SoundCloud failed."

    def route(self, identifier: str) -> Route | None:
        if identifier.startswith("scsearch"):
            return self._search(identifier) if self.search_enabled else None
        if _SET.match(identifier):
            return Collection(_https(identifier), flat=False)
        if _LIKES.match(identifier):
            return Collection(_https(identifier), flat=False)
        if _UNLISTED.match(identifier) or _TRACK.match(identifier) or _SHORT.match(identifier):
            return Single(_https(identifier))
        return None

    def _search(self, identifier: str) -> Route | None:
        if identifier.startswith(SEARCH_PREFIX):
            query, offset, limit = identifier[len(SEARCH_PREFIX) :].strip(), 0, self.search_limit
        else:
            paged = _PAGED_SEARCH.match(identifier)
            if paged is None:
                return None
            offset, limit, query = int(paged.group(1)), min(int(paged.group(2)), MAX_SEARCH_RESULTS), paged.group(3)
        if not query or limit == 0:
            return Nothing()
        # Flat search results already carry title, user, length and artwork (yt-dlp maps the API's track objects).
        return Search(f"scsearch{offset + limit}:{query}", limit, offset)

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        uri = mapping.text(entry, "webpage_url", "url")
        if key is None or uri is None:
            return None
        return TrackInfo(
            title=mapping.title(entry),
            author=mapping.author(entry),
            length_ms=mapping.length_ms(entry),
            identifier=key,
            is_stream=False,
            uri=uri,
            source_name=self.name,
            artwork_url=mapping.best_thumbnail(entry),
            isrc=mapping.isrc(entry),
        )

    def page_url(self, info: TrackInfo) -> str:
        if info.uri:
            return info.uri
        return f"https://api.soundcloud.com/tracks/{info.identifier}"
