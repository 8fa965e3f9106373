"""Spotify's Web API (developer.spotify.com/documentation/web-api): client-credentials token, then tracks, albums,
playlists, artists' top tracks, search and recommendations. URLs: open.spotify.com/[intl-xx/](track|album|playlist|
artist)/ID and spotify:TYPE:ID. Prefixes: `spsearch:` (a search) and `sprec:` (recommendations: `seed_tracks=…&…`
as the API takes them, or a bare track id)."""

from __future__ import annotations

import base64
import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from lavalink_py.bundled.lavasrc.config import SpotifyConfig
from lavalink_py.bundled.lavasrc.source import CatalogResult, Search
from lavalink_py.bundled.lavasrc.tracks import ServiceList, ServiceTrack
from lavalink_py.bundled.lavasrc.web import JsonClient, ServiceHttpError
from lavalink_py.plugins.api import FriendlyError

SEARCH_PREFIX = "spsearch:"
RECOMMENDATIONS_PREFIX = "sprec:"
URL = re.compile(
    r"^(?:https?://(?:open|play)\.spotify\.com/(?:intl-[a-zA-Z-]+/)?(?:user/[^/]+/)?|spotify:)"
    r"(?P<type>track|album|playlist|artist)[/:](?P<id>[A-Za-z0-9]+)"
)
SEARCH_LIMIT = 10
SERVICE = "Spotify"


def _first(items: Any) -> Any:
    return items[0] if isinstance(items, list) and items else None


def _image(images: Any) -> str | None:
    first = _first(images)
    return first.get("url") if isinstance(first, dict) else None


def parse_track(item: Any, album: Any = None, *, local_files: bool = False) -> ServiceTrack | None:
    """A Track Object; None for what cannot be mirrored (an episode, a local file unless allowed, no id)."""
    if not isinstance(item, dict) or item.get("type", "track") != "track":
        return None
    if item.get("is_local") and not local_files:
        return None
    album = item.get("album") if isinstance(item.get("album"), dict) else album or {}
    artist = _first(item.get("artists")) or {}
    identifier = item.get("id") or (item.get("uri") if item.get("is_local") else None)
    if not identifier:
        return None
    return ServiceTrack(
        title=str(item.get("name") or "Unknown title"),
        author=str(artist.get("name") or "unknown"),
        length_ms=int(item.get("duration_ms") or 0),
        identifier=str(identifier),
        uri=(item.get("external_urls") or {}).get("spotify"),
        artwork_url=_image(album.get("images")),
        isrc=(item.get("external_ids") or {}).get("isrc"),
        album_name=album.get("name"),
        album_url=(album.get("external_urls") or {}).get("spotify"),
        artist_url=(artist.get("external_urls") or {}).get("spotify"),
        artist_artwork_url=None,
        preview_url=item.get("preview_url"),
    )


class SpotifyCatalog:
    name = "spotify"
    prefixes = (SEARCH_PREFIX, RECOMMENDATIONS_PREFIX)

    def __init__(self, config: SpotifyConfig, http: JsonClient, clock: Any = time.monotonic) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._token: tuple[str, float] | None = None  # (access token, expires at)
        self._api = config.api_url.rstrip("/")

    def claims(self, identifier: str) -> bool:
        return identifier.startswith(self.prefixes) or URL.match(identifier) is not None

    async def _access_token(self) -> str:
        if self._token is not None and self._clock() < self._token[1]:
            return self._token[0]
        if not (self._config.client_id and self._config.client_secret):
            raise FriendlyError("Spotify is not configured: set plugins.lavasrc.spotify.clientId and clientSecret")
        basic = base64.b64encode(f"{self._config.client_id}:{self._config.client_secret}".encode()).decode()
        body = await self._http.request(
            SERVICE, "POST", self._config.token_url, data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        token, expires_in = body.get("access_token"), body.get("expires_in", 3600)
        if not isinstance(token, str) or not isinstance(expires_in, int | float):
            raise FriendlyError("Spotify's token endpoint answered without an access_token", "suspicious")
        self._token = (token, self._clock() + max(0.0, float(expires_in) - 30))  # renew a little early
        return token

    async def _get(self, path: str, **params: str | int) -> Any:
        url = path if path.startswith("http") else f"{self._api}{path}"
        query = {k: str(v) for k, v in params.items()}
        for attempt in (1, 2):
            token = await self._access_token()
            try:
                return await self._http.get(SERVICE, url, params=query, headers={"Authorization": f"Bearer {token}"},
                                            search=path == "/search")
            except ServiceHttpError as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self._token = None  # revoked or expired early: one new token, one retry
        raise AssertionError("unreachable")

    async def lookup(self, identifier: str) -> CatalogResult:
        if identifier.startswith(SEARCH_PREFIX):
            return await self._search(identifier[len(SEARCH_PREFIX):].strip())
        if identifier.startswith(RECOMMENDATIONS_PREFIX):
            return await self._recommendations(identifier[len(RECOMMENDATIONS_PREFIX):].strip())
        match = URL.match(identifier)
        assert match is not None  # claims() said so
        kind, spotify_id = match["type"], match["id"]
        if kind == "track":
            return parse_track(await self._get(f"/tracks/{spotify_id}", market=self._config.country_code),
                               local_files=self._config.local_files)
        if kind == "album":
            return await self._album(spotify_id)
        if kind == "playlist":
            return await self._playlist(spotify_id)
        return await self._artist(spotify_id)

    async def _search(self, query: str) -> CatalogResult:
        if not query:
            return None
        body = await self._get("/search", q=query, type="track", limit=SEARCH_LIMIT, market=self._config.country_code)
        items = ((body.get("tracks") or {}).get("items")) or []
        return Search([t for t in (parse_track(i) for i in items) if t is not None])

    async def _recommendations(self, seed: str) -> CatalogResult:
        if not seed:
            return None
        params = dict(parse_qsl(seed)) if "=" in seed else {"seed_tracks": seed}
        body = await self._get("/recommendations", limit=20, market=self._config.country_code, **params)
        tracks = [t for t in (parse_track(i) for i in body.get("tracks") or []) if t is not None]
        return ServiceList("Spotify Recommendations", "recommendations", None, None, None, tracks)

    async def _album(self, album_id: str) -> CatalogResult:
        album = await self._get(f"/albums/{album_id}", market=self._config.country_code)
        page: Any = album.get("tracks") or {}
        items: list[Any] = list(page.get("items") or [])
        pages = 1
        while page.get("next") and pages < self._config.album_load_limit:
            page = await self._get(page["next"])
            items.extend(page.get("items") or [])
            pages += 1
        # An album's tracks are simplified objects (no ISRC): fetch the full ones, 50 at a time.
        ids = [i["id"] for i in items if isinstance(i, dict) and i.get("id")]
        full: list[Any] = []
        for start in range(0, len(ids), 50):
            body = await self._get("/tracks", ids=",".join(ids[start:start + 50]), market=self._config.country_code)
            full.extend(body.get("tracks") or [])
        tracks = [t for t in (parse_track(i, album) for i in (full or items)) if t is not None]
        artist = _first(album.get("artists")) or {}
        return ServiceList(str(album.get("name") or "Unknown album"), "album",
                           (album.get("external_urls") or {}).get("spotify"), _image(album.get("images")),
                           artist.get("name"), tracks, int((album.get("tracks") or {}).get("total") or len(tracks)))

    async def _playlist(self, playlist_id: str) -> CatalogResult:
        playlist = await self._get(f"/playlists/{playlist_id}", market=self._config.country_code)
        page: Any = playlist.get("tracks") or {}
        items: list[Any] = list(page.get("items") or [])
        pages = 1
        while page.get("next") and pages < self._config.playlist_load_limit:
            page = await self._get(page["next"])
            items.extend(page.get("items") or [])
            pages += 1
        tracks = [
            t for t in (parse_track(i.get("track"), local_files=self._config.local_files)
                        for i in items if isinstance(i, dict)) if t is not None
        ]
        owner = playlist.get("owner") or {}
        return ServiceList(str(playlist.get("name") or "Unknown playlist"), "playlist",
                           (playlist.get("external_urls") or {}).get("spotify"), _image(playlist.get("images")),
                           owner.get("display_name"), tracks,
                           int((playlist.get("tracks") or {}).get("total") or len(tracks)))

    async def _artist(self, artist_id: str) -> CatalogResult:
        artist = await self._get(f"/artists/{artist_id}")
        body = await self._get(f"/artists/{artist_id}/top-tracks", market=self._config.country_code)
        picture = _image(artist.get("images"))
        tracks = []
        for item in body.get("tracks") or []:
            track = parse_track(item)
            if track is not None:
                tracks.append(replace(track, artist_artwork_url=picture))
        name = str(artist.get("name") or "Unknown artist")
        return ServiceList(f"{name}'s Top Tracks", "artist", (artist.get("external_urls") or {}).get("spotify"),
                           picture, name, tracks)

