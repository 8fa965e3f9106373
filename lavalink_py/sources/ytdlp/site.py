"""What a site contributes to a yt-dlp manager: which identifiers are its, and how its entries become tracks.

`route(identifier)` is lavaplayer's link router: None when the identifier is not this site's (the next manager is
asked), otherwise one of the routes below. Everything else (running yt-dlp, errors, the stream cache) is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from lavalink_py.protocol.track import TrackInfo


@dataclass(frozen=True, slots=True)
class Search:
    """`query` is what yt-dlp is given: a search key (`ytsearch10:...`) or a search-page URL."""

    query: str
    limit: int
    offset: int = 0
    # Flat results cost one request but some sites' stubs lack author and length (YouTube Music's do).
    flat: bool = True


@dataclass(frozen=True, slots=True)
class Single:
    url: str
    # The site's id as read from the URL, when the URL carries one (YouTube's 11-character video id).
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    """A playlist, album or set; `selected_key` is the entry the URL pointed at (`watch?v=X&list=Y` -> X)."""

    url: str
    selected_key: str | None = None
    # Flat extraction reads the whole list in one request; only worth it where the stubs carry title and length.
    flat: bool = True


@dataclass(frozen=True, slots=True)
class Nothing:
    """Ours, but there is nothing to look up (an empty search): Lavalink answers `empty`."""


Route = Search | Single | Collection | Nothing


class Site(Protocol):
    @property
    def name(self) -> str:
        """Lavalink's sourceName."""
        ...

    @property
    def failure_message(self) -> str:
        """Lavaplayer's wording when loading fails for a reason the site did not explain."""
        ...

    def route(self, identifier: str) -> Route | None: ...

    def track_info(self, entry: Mapping[str, Any], key: str | None) -> TrackInfo | None:
        """None skips the entry (a channel in search results, a deleted video in a playlist)."""
        ...

    def page_url(self, info: TrackInfo) -> str:
        """The public page to re-resolve `info`'s media from, also for tracks Lavalink encoded."""
        ...


def rebase(url: str, base_url: str | None) -> str:
    """Point a public URL at `base_url` (scheme, host and path prefix) so tests can serve the site locally."""
    if not base_url or "://" not in url:
        return url
    parts = urlsplit(url)
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


def entry_key(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("id")
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
