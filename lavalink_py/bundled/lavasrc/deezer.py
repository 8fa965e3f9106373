"""Deezer's public API (developers.deezer.com/api): tracks, albums, playlists, an artist's top tracks, search and a
track by ISRC (`/track/isrc:CODE`), no credentials needed. Deezer answers errors with status 200 and an `error`
object (code 800: no data). URLs: www.deezer.com/[lang/](track|album|playlist|artist)/ID. Prefixes `dzsearch:` and
`dzisrc:`."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from lavalink_py.bundled.lavasrc.config import DeezerConfig
from lavalink_py.bundled.lavasrc.source import CatalogResult, Search
from lavalink_py.bundled.lavasrc.tracks import ServiceList, ServiceTrack
from lavalink_py.bundled.lavasrc.web import JsonClient
from lavalink_py.plugins.api import FriendlyError

SEARCH_PREFIX = "dzsearch:"
ISRC_PREFIX = "dzisrc:"
URL = re.compile(
    r"^https?://(?:www\.)?deezer\.com/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?P<type>track|album|playlist|artist)/(?P<id>\d+)"
)
SEARCH_LIMIT = 10
TOP_LIMIT = 50
SERVICE = "Deezer"
NO_DATA = 800


class DeezerNoData(Exception):
    pass


def parse_track(item: Any, album: Any = None) -> ServiceTrack | None:
    if not isinstance(item, dict) or not item.get("id") or item.get("readable") is False:
        return None
    artist = item.get("artist") or {}
    album = item.get("album") if isinstance(item.get("album"), dict) else album or {}
    album_id = album.get("id")
    return ServiceTrack(
        title=str(item.get("title") or "Unknown title"),
        author=str(artist.get("name") or "unknown"),
        length_ms=int(item.get("duration") or 0) * 1000,
        identifier=str(item["id"]),
        uri=item.get("link"),
        artwork_url=album.get("cover_xl"),
        isrc=item.get("isrc"),
        album_name=album.get("title"),
        album_url=album.get("link") or (f"https://www.deezer.com/album/{album_id}" if album_id else None),
        artist_url=artist.get("link"),
        artist_artwork_url=artist.get("picture_xl"),
        preview_url=item.get("preview") or None,
    )


class DeezerCatalog:
    name = "deezer"
    prefixes = (SEARCH_PREFIX, ISRC_PREFIX)

    def __init__(self, config: DeezerConfig, http: JsonClient) -> None:
        self._http = http
        self._api = config.api_url.rstrip("/")

    def claims(self, identifier: str) -> bool:
        return identifier.startswith(self.prefixes) or URL.match(identifier) is not None

    async def _get(self, path: str, **params: str | int) -> Any:
        body = await self._http.get(SERVICE, f"{self._api}{path}",
                                    params={k: str(v) for k, v in params.items()} or None, search=path == "/search")
        error = body.get("error") if isinstance(body, dict) else None
        if error:
            if isinstance(error, dict) and error.get("code") == NO_DATA:
                raise DeezerNoData()
            message = error.get("message") if isinstance(error, dict) else error
            raise FriendlyError(f"Deezer refused the request: {message}", "suspicious")
        return body

    async def lookup(self, identifier: str) -> CatalogResult:
        try:
            return await self._lookup(identifier)
        except DeezerNoData:
            return None

    async def _lookup(self, identifier: str) -> CatalogResult:
        if identifier.startswith(SEARCH_PREFIX):
            query = identifier[len(SEARCH_PREFIX):].strip()
            if not query:
                return None
            body = await self._get("/search", q=query, limit=SEARCH_LIMIT)
            return Search([t for t in (parse_track(i) for i in body.get("data") or []) if t is not None])
        if identifier.startswith(ISRC_PREFIX):
            code = identifier[len(ISRC_PREFIX):].strip()
            return parse_track(await self._get(f"/track/isrc:{code}")) if code else None
        match = URL.match(identifier)
        assert match is not None
        kind, item_id = match["type"], match["id"]
        if kind == "track":
            return parse_track(await self._get(f"/track/{item_id}"))
        if kind == "artist":
            artist = await self._get(f"/artist/{item_id}")
            top = await self._get(f"/artist/{item_id}/top", limit=TOP_LIMIT)
            tracks = [replace(t, artist_artwork_url=artist.get("picture_xl"))
                      for t in (parse_track(i) for i in top.get("data") or []) if t is not None]
            name = str(artist.get("name") or "Unknown artist")
            return ServiceList(f"{name}'s Top Tracks", "artist", artist.get("link"), artist.get("picture_xl"), name,
                               tracks)
        body = await self._get(f"/{kind}/{item_id}")
        items = (body.get("tracks") or {}).get("data") or []
        tracks = [t for t in (parse_track(i, body) for i in items) if t is not None]
        if kind == "album":
            return ServiceList(str(body.get("title") or "Unknown album"), "album", body.get("link"),
                               body.get("cover_xl"), (body.get("artist") or {}).get("name"), tracks,
                               body.get("nb_tracks") or len(tracks))
        return ServiceList(str(body.get("title") or "Unknown playlist"), "playlist", body.get("link"),
                           body.get("picture_xl"), (body.get("creator") or {}).get("name"), tracks,
                           body.get("nb_tracks") or len(tracks))
