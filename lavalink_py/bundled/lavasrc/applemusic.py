"""Apple Music's catalog API (developer.apple.com/documentation/applemusicapi): songs, albums, playlists, an artist's
top songs and search, with `Authorization: Bearer <developer token>`. The token is `mediaAPIToken`, or one signed
here (ES256, as MusicKit prescribes) from `musicKitKey`, `keyID` and `teamID`. URLs:
music.apple.com/CC/(song|album|playlist|artist)/[slug/]ID, an album's with `?i=TRACK` for one of its songs.
Prefix `amsearch:`."""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from lavalink_py.bundled.lavasrc.config import AppleMusicConfig
from lavalink_py.bundled.lavasrc.source import CatalogResult, Search
from lavalink_py.bundled.lavasrc.tracks import ServiceList, ServiceTrack
from lavalink_py.bundled.lavasrc.web import JsonClient
from lavalink_py.plugins.api import FriendlyError

SEARCH_PREFIX = "amsearch:"
URL = re.compile(
    r"^https?://(?:www\.|beta\.)?music\.apple\.com/(?P<cc>[a-zA-Z]{2})/"
    r"(?P<type>song|album|playlist|artist)(?:/[^/?#]+)?/(?P<id>[^/?#]+)(?:\?(?P<query>[^#]*))?"
)
ARTWORK_SIZE = 1000
SEARCH_LIMIT = 10
SERVICE = "Apple Music"
TOKEN_LIFETIME_S = 15_000_000  # MusicKit accepts up to six months


def artwork(attributes: Any) -> str | None:
    art = attributes.get("artwork") if isinstance(attributes, dict) else None
    if not isinstance(art, dict) or not isinstance(art.get("url"), str):
        return None
    width = min(int(art.get("width") or ARTWORK_SIZE), ARTWORK_SIZE)
    height = min(int(art.get("height") or ARTWORK_SIZE), ARTWORK_SIZE)
    return str(art["url"]).replace("{w}", str(width)).replace("{h}", str(height))


def parse_song(item: Any, artist_artwork: str | None = None) -> ServiceTrack | None:
    if not isinstance(item, dict) or item.get("type", "songs") != "songs" or not item.get("id"):
        return None
    a = item.get("attributes") or {}
    url = a.get("url")
    album_url = url.split("?")[0] if isinstance(url, str) and "/album/" in url else None
    previews = a.get("previews") or []
    return ServiceTrack(
        title=str(a.get("name") or "Unknown title"),
        author=str(a.get("artistName") or "unknown"),
        length_ms=int(a.get("durationInMillis") or 0),
        identifier=str(item["id"]),
        uri=url,
        artwork_url=artwork(a),
        isrc=a.get("isrc"),
        album_name=a.get("albumName"),
        album_url=album_url,
        artist_url=None,
        artist_artwork_url=artist_artwork,
        preview_url=previews[0].get("url") if previews and isinstance(previews[0], dict) else None,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def developer_token(key_pem: str, key_id: str, team_id: str, now: float) -> str:
    """A MusicKit developer token: an ES256 JWT (header kid, claims iss/iat/exp) signed with the .p8 key."""
    from cryptography.hazmat.primitives import hashes, serialization  # only for musicKitKey
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise FriendlyError("plugins.lavasrc.applemusic.musicKitKey is not an EC private key (a MusicKit .p8)")
    header = _b64url(json.dumps({"alg": "ES256", "kid": key_id}).encode())
    claims = _b64url(json.dumps({"iss": team_id, "iat": int(now), "exp": int(now) + TOKEN_LIFETIME_S}).encode())
    r, s = decode_dss_signature(key.sign(f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256())))
    return f"{header}.{claims}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


class AppleMusicCatalog:
    name = "applemusic"
    prefixes = (SEARCH_PREFIX,)

    def __init__(self, config: AppleMusicConfig, http: JsonClient) -> None:
        self._config = config
        self._http = http
        self._api = config.api_url.rstrip("/")
        self._token: str | None = config.media_api_token or None
        parts = urlsplit(self._api)
        self._origin = f"{parts.scheme}://{parts.netloc}"  # `next` links are paths from the host

    def claims(self, identifier: str) -> bool:
        return identifier.startswith(self.prefixes) or URL.match(identifier) is not None

    def _bearer(self) -> str:
        if self._token is None:
            c = self._config
            if not (c.music_kit_key and c.key_id and c.team_id):
                raise FriendlyError("Apple Music is not configured: set plugins.lavasrc.applemusic.mediaAPIToken "
                                    "(or musicKitKey, keyID and teamID)")
            self._token = developer_token(c.music_kit_key, c.key_id, c.team_id, time.time())
        return self._token

    async def _get(self, path: str, **params: str | int) -> Any:
        url = f"{self._origin}{path}" if path.startswith("/v1/") else f"{self._api}{path}"
        return await self._http.get(
            SERVICE, url, params={k: str(v) for k, v in params.items()} or None,
            headers={"Authorization": f"Bearer {self._bearer()}", "Origin": "https://music.apple.com"},
            search=path.endswith("/search"),
        )

    async def lookup(self, identifier: str) -> CatalogResult:
        cc = self._config.country_code.lower()
        if identifier.startswith(SEARCH_PREFIX):
            term = identifier[len(SEARCH_PREFIX):].strip()
            if not term:
                return None
            body = await self._get(f"/catalog/{cc}/search", term=term, types="songs", limit=SEARCH_LIMIT)
            songs = ((body.get("results") or {}).get("songs") or {}).get("data") or []
            return Search([t for t in (parse_song(s) for s in songs) if t is not None])
        match = URL.match(identifier)
        assert match is not None
        cc, kind, item_id = match["cc"].lower(), match["type"], match["id"]
        selected = dict(p.split("=", 1) for p in (match["query"] or "").split("&") if "=" in p).get("i")
        if kind == "song" or (kind == "album" and selected):
            song = _first_data(await self._get(f"/catalog/{cc}/songs/{selected or item_id}"))
            return parse_song(song)
        if kind == "artist":
            return await self._artist(cc, item_id)
        return await self._collection(cc, kind, item_id)

    async def _collection(self, cc: str, kind: str, item_id: str) -> CatalogResult:
        body = _first_data(await self._get(f"/catalog/{cc}/{kind}s/{item_id}"))
        if body is None:
            return None
        a = body.get("attributes") or {}
        page = ((body.get("relationships") or {}).get("tracks")) or {}
        items: list[Any] = list(page.get("data") or [])
        limit = self._config.album_load_limit if kind == "album" else self._config.playlist_load_limit
        pages = 1
        while page.get("next") and pages < limit:
            page = await self._get(page["next"])
            items.extend(page.get("data") or [])
            pages += 1
        tracks = [t for t in (parse_song(i) for i in items) if t is not None]
        author = a.get("artistName") if kind == "album" else a.get("curatorName")
        return ServiceList(str(a.get("name") or f"Unknown {kind}"), "album" if kind == "album" else "playlist",
                           a.get("url"), artwork(a), author, tracks, a.get("trackCount") or len(tracks))

    async def _artist(self, cc: str, artist_id: str) -> CatalogResult:
        artist = _first_data(await self._get(f"/catalog/{cc}/artists/{artist_id}"))
        if artist is None:
            return None
        a = artist.get("attributes") or {}
        top = await self._get(f"/catalog/{cc}/artists/{artist_id}/view/top-songs")
        picture = artwork(a)
        tracks = [replace(t, artist_url=a.get("url"), artist_artwork_url=picture)
                  for t in (parse_song(i) for i in top.get("data") or []) if t is not None]
        name = str(a.get("name") or "Unknown artist")
        return ServiceList(f"{name}'s Top Tracks", "artist", a.get("url"), picture, name, tracks)


def _first_data(body: Any) -> Any:
    data = body.get("data") if isinstance(body, dict) else None
    return data[0] if isinstance(data, list) and data else None
