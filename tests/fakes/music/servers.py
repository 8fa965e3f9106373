"""aiohttp servers speaking each service's API, for the songs of a Catalog.

Shapes follow the services' references: Spotify's Web API (client-credentials flow at /api/token; Track, Album,
Playlist, Artist objects and Paging objects with absolute `next` URLs), the Apple Music API (resources in `data`,
an album's or playlist's tracks under `relationships.tracks` with a host-relative `next`, artwork URL templates
with {w}x{h}), and Deezer's API (errors as status 200 with an `error` object, code 800 for no data). Every request
is recorded, so tests can tell what the node asked and how often.
"""

from __future__ import annotations

import base64
import contextlib
import json
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.fakes.music.catalog import Catalog, Song

CLIENT_ID, CLIENT_SECRET, SPOTIFY_TOKEN = "test-client-id", "test-client-secret", "BQD-test-access-token"
APPLE_TOKEN = "eyJ-test-media-api-token"
SPOTIFY_PAGE = 100
APPLE_PAGE = 2  # small, so a playlist takes several `next` pages


@dataclass
class Served:
    url: str
    requests: list[str] = field(default_factory=list)  # "GET /v1/playlists/ID?..." in order
    peers: list[str] = field(default_factory=list)  # each request's source address, in the same order
    rate_limited: set[str] = field(default_factory=set)  # source addresses answered 429 (the route planner tests)

    def count(self, prefix: str) -> int:
        return sum(1 for r in self.requests if r.startswith(prefix))


@contextlib.asynccontextmanager
async def serve(make: Callable[[Callable[[], str]], web.RouteTableDef]) -> AsyncIterator[Served]:
    """Serve the routes `make(base)` builds; `base()` is the server's URL (for absolute `next` links)."""
    served = Served("")
    routes = make(lambda: served.url)

    @web.middleware
    async def record(request: web.Request, handler: Callable[[web.Request], Any]) -> web.StreamResponse:
        served.requests.append(f"{request.method} {request.path_qs}")
        peer = request.transport.get_extra_info("peername")[0] if request.transport else "?"
        served.peers.append(peer)
        if peer in served.rate_limited:
            return web.json_response({"error": {"status": 429, "message": "API rate limit exceeded"}}, status=429,
                                     headers={"Retry-After": "1"})
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[record])
    app.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    served.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield served
    finally:
        await runner.cleanup()


# --- Spotify --------------------------------------------------------------------------------------------------------


@dataclass
class SpotifyTokens:
    """Tokens the fake has issued (a new one per request, as Spotify does) and those it no longer accepts."""

    issued: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)


def spotify_routes(catalog: Catalog, base: Callable[[], str], tokens: SpotifyTokens | None = None
                   ) -> web.RouteTableDef:
    routes = web.RouteTableDef()
    tokens = tokens or SpotifyTokens()

    def error(status: int, message: str) -> web.Response:
        return web.json_response({"error": {"status": status, "message": message}}, status=status)

    def authorised(request: web.Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return token in tokens.issued and token not in tokens.revoked

    def artist(song: Song) -> dict[str, Any]:
        return {"external_urls": {"spotify": f"https://open.spotify.com/artist/{song.artist_spotify_id}"},
                "href": f"{base()}/v1/artists/{song.artist_spotify_id}", "id": song.artist_spotify_id,
                "name": song.artist, "type": "artist", "uri": f"spotify:artist:{song.artist_spotify_id}"}

    def album(song: Song) -> dict[str, Any]:
        return {"album_type": "album", "total_tracks": 1, "id": song.album_spotify_id, "name": song.album,
                "external_urls": {"spotify": f"https://open.spotify.com/album/{song.album_spotify_id}"},
                "images": [{"url": f"https://i.scdn.co/image/{song.album_spotify_id}-640", "height": 640,
                            "width": 640},
                           {"url": f"https://i.scdn.co/image/{song.album_spotify_id}-300", "height": 300,
                            "width": 300}],
                "release_date": "2024-03-01", "release_date_precision": "day", "type": "album",
                "uri": f"spotify:album:{song.album_spotify_id}", "artists": [artist(song)]}

    def simplified(song: Song) -> dict[str, Any]:
        return {"artists": [artist(song)], "disc_number": 1, "duration_ms": song.duration_ms, "explicit": False,
                "external_urls": {"spotify": f"https://open.spotify.com/track/{song.spotify_id}"},
                "href": f"{base()}/v1/tracks/{song.spotify_id}", "id": song.spotify_id, "is_local": False,
                "name": song.title, "preview_url": f"https://p.scdn.co/mp3-preview/{song.spotify_id}",
                "track_number": 1, "type": "track", "uri": f"spotify:track:{song.spotify_id}"}

    def track(song: Song) -> dict[str, Any]:
        return {**simplified(song), "album": album(song), "external_ids": {"isrc": song.isrc}, "popularity": 50}

    def paging(items: list[Any], offset: int, limit: int, href: str) -> dict[str, Any]:
        page = items[offset:offset + limit]
        more = offset + limit < len(items)
        return {"href": f"{href}?offset={offset}&limit={limit}", "items": page, "limit": limit,
                "next": f"{href}?offset={offset + limit}&limit={limit}" if more else None, "offset": offset,
                "previous": None, "total": len(items)}

    @routes.post("/api/token")
    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client", "error_description": "Invalid client"}, status=400)
        tokens.issued.append(f"{SPOTIFY_TOKEN}-{len(tokens.issued)}")
        return web.json_response({"access_token": tokens.issued[-1], "token_type": "Bearer", "expires_in": 3600})

    @routes.get("/v1/tracks/{id}")
    async def one_track(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        song = catalog.by("spotify_id", request.match_info["id"])
        return web.json_response(track(song)) if song else error(404, "Resource not found")

    @routes.get("/v1/tracks")
    async def several_tracks(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        songs = [catalog.by("spotify_id", i) for i in request.query["ids"].split(",")]
        return web.json_response({"tracks": [track(s) if s else None for s in songs]})

    def album_songs(album_id: str) -> list[Song]:
        return [s for s in catalog.songs if s.album_spotify_id == album_id]

    @routes.get("/v1/albums/{id}")
    async def one_album(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        songs = album_songs(request.match_info["id"])
        if not songs:
            return error(404, "Resource not found")
        href = f"{base()}/v1/albums/{songs[0].album_spotify_id}/tracks"
        return web.json_response({**album(songs[0]), "total_tracks": len(songs),
                                  "tracks": paging([simplified(s) for s in songs], 0, 50, href)})

    @routes.get("/v1/playlists/{id}")
    async def one_playlist(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        found = catalog.playlists.get(request.match_info["id"])
        if found is None:
            return error(404, "Resource not found")
        name, owner, songs = found
        pid = request.match_info["id"]
        items = [{"added_at": "2024-03-02T10:00:00Z", "is_local": False, "track": track(s)} for s in songs]
        return web.json_response({
            "collaborative": False, "description": "", "id": pid, "name": name, "public": True, "type": "playlist",
            "external_urls": {"spotify": f"https://open.spotify.com/playlist/{pid}"},
            "images": [{"url": f"https://mosaic.scdn.co/640/{pid}", "height": 640, "width": 640}],
            "owner": {"display_name": owner, "id": owner.lower(), "type": "user"},
            "tracks": paging(items, 0, SPOTIFY_PAGE, f"{base()}/v1/playlists/{pid}/tracks"),
            "uri": f"spotify:playlist:{pid}",
        })

    @routes.get("/v1/playlists/{id}/tracks")
    async def playlist_tracks(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        found = catalog.playlists.get(request.match_info["id"])
        if found is None:
            return error(404, "Resource not found")
        items = [{"added_at": "2024-03-02T10:00:00Z", "track": track(s)} for s in found[2]]
        offset, limit = int(request.query.get("offset", 0)), int(request.query.get("limit", SPOTIFY_PAGE))
        return web.json_response(paging(items, offset, limit, f"{base()}{request.path}"))

    @routes.get("/v1/artists/{id}")
    async def one_artist(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        song = catalog.by("artist_spotify_id", request.match_info["id"])
        if song is None:
            return error(404, "Resource not found")
        return web.json_response({**artist(song), "genres": [], "images": [
            {"url": f"https://i.scdn.co/image/{song.artist_spotify_id}", "height": 640, "width": 640}]})

    @routes.get("/v1/artists/{id}/top-tracks")
    async def top_tracks(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        songs = [s for s in catalog.songs if s.artist_spotify_id == request.match_info["id"]]
        return web.json_response({"tracks": [track(s) for s in songs]})

    @routes.get("/v1/search")
    async def search(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        q, limit = request.query["q"].casefold(), int(request.query.get("limit", 20))
        if q.startswith("isrc:"):  # the field filter of Spotify's search syntax
            hits = [track(s) for s in catalog.songs if s.isrc.casefold() == q.removeprefix("isrc:")]
        else:
            hits = [track(s) for s in catalog.songs if q in f"{s.title} {s.artist}".casefold()]
        return web.json_response({"tracks": paging(hits, 0, limit, f"{base()}/v1/search")})

    @routes.get("/v1/recommendations")
    async def recommendations(request: web.Request) -> web.Response:
        if not authorised(request):
            return error(401, "Invalid access token")
        seeds = request.query.get("seed_tracks", "").split(",")
        others = [track(s) for s in catalog.songs if s.spotify_id not in seeds]
        return web.json_response({"seeds": [{"id": i, "type": "TRACK"} for i in seeds], "tracks": others})

    return routes


# --- Apple Music ----------------------------------------------------------------------------------------------------


@dataclass
class AppleAuth:
    """Accepts the media API token, or a developer token signed by `key` (ES256 JWT, kid and iss checked)."""

    key: ec.EllipticCurvePrivateKey | None = None
    key_id: str = ""
    team_id: str = ""

    def accepts(self, header: str | None) -> bool:
        if header == f"Bearer {APPLE_TOKEN}":
            return True
        if self.key is None or not header or not header.startswith("Bearer "):
            return False
        try:
            head, claims, signature = header.removeprefix("Bearer ").split(".")
            raw = _unb64(signature)
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            self.key.public_key().verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
            h, c = json.loads(_unb64(head)), json.loads(_unb64(claims))
        except Exception:
            return False
        return bool(h.get("alg") == "ES256" and h.get("kid") == self.key_id and c.get("iss") == self.team_id
                    and c.get("exp", 0) > c.get("iat", 0))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def apple_routes(catalog: Catalog, auth: AppleAuth) -> web.RouteTableDef:
    routes = web.RouteTableDef()

    def not_found() -> web.Response:
        return web.json_response({"errors": [{"id": "X1", "title": "Resource Not Found",
                                              "detail": "Resource with requested id was not found",
                                              "status": "404", "code": "40400"}]}, status=404)

    def art(key: str) -> dict[str, Any]:
        return {"width": 3000, "height": 3000,
                "url": f"https://is1-ssl.mzstatic.com/image/thumb/Music/{key}/{{w}}x{{h}}bb.jpg"}

    def song(s: Song, cc: str) -> dict[str, Any]:
        return {"id": s.apple_id, "type": "songs", "href": f"/v1/catalog/{cc}/songs/{s.apple_id}", "attributes": {
            "albumName": s.album, "artistName": s.artist, "artwork": art(s.apple_id), "durationInMillis":
            s.duration_ms, "genreNames": ["Pop"], "isrc": s.isrc, "name": s.title, "trackNumber": 1,
            "url": f"https://music.apple.com/{cc}/album/{s.album.lower().replace(' ', '-')}/9{s.apple_id}"
                   f"?i={s.apple_id}",
            "previews": [{"url": f"https://audio-ssl.itunes.apple.com/preview/{s.apple_id}.m4a"}]}}

    def authorised(request: web.Request) -> bool:
        return auth.accepts(request.headers.get("Authorization"))

    def tracks_page(songs: list[Song], cc: str, href: str, offset: int) -> dict[str, Any]:
        page: dict[str, Any] = {"href": f"{href}?offset={offset}" if offset else href,
                                "data": [song(s, cc) for s in songs[offset:offset + APPLE_PAGE]]}
        if offset + APPLE_PAGE < len(songs):
            page["next"] = f"{href}?offset={offset + APPLE_PAGE}"
        return page

    @routes.get("/v1/catalog/{cc}/songs/{id}")
    async def one_song(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        s = catalog.by("apple_id", request.match_info["id"])
        return web.json_response({"data": [song(s, request.match_info["cc"])]}) if s else not_found()

    @routes.get("/v1/catalog/{cc}/playlists/{id}")
    async def one_playlist(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        cc, pid = request.match_info["cc"], request.match_info["id"]
        found = catalog.playlists.get(pid)
        if found is None:
            return not_found()
        name, owner, songs = found
        href = f"/v1/catalog/{cc}/playlists/{pid}/tracks"
        return web.json_response({"data": [{"id": pid, "type": "playlists", "attributes": {
            "name": name, "curatorName": owner, "artwork": art(pid), "trackCount": len(songs),
            "url": f"https://music.apple.com/{cc}/playlist/{name.lower().replace(' ', '-')}/{pid}"},
            "relationships": {"tracks": tracks_page(songs, cc, href, 0)}}]})

    @routes.get("/v1/catalog/{cc}/playlists/{id}/tracks")
    async def playlist_tracks(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        found = catalog.playlists.get(request.match_info["id"])
        if found is None:
            return not_found()
        return web.json_response(tracks_page(found[2], request.match_info["cc"], request.path,
                                             int(request.query.get("offset", 0))))

    @routes.get("/v1/catalog/{cc}/albums/{id}")
    async def one_album(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        cc, aid = request.match_info["cc"], request.match_info["id"]
        songs = [s for s in catalog.songs if f"9{s.apple_id}" == aid]
        if not songs:
            return not_found()
        href = f"/v1/catalog/{cc}/albums/{aid}/tracks"
        return web.json_response({"data": [{"id": aid, "type": "albums", "attributes": {
            "name": songs[0].album, "artistName": songs[0].artist, "artwork": art(aid), "trackCount": len(songs),
            "url": f"https://music.apple.com/{cc}/album/{songs[0].album.lower().replace(' ', '-')}/{aid}"},
            "relationships": {"tracks": tracks_page(songs, cc, href, 0)}}]})

    @routes.get("/v1/catalog/{cc}/artists/{id}")
    async def one_artist(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        s = next((s for s in catalog.songs if f"8{s.apple_id}" == request.match_info["id"]), None)
        if s is None:
            return not_found()
        cc = request.match_info["cc"]
        return web.json_response({"data": [{"id": f"8{s.apple_id}", "type": "artists", "attributes": {
            "name": s.artist, "artwork": art(f"artist{s.apple_id}"),
            "url": f"https://music.apple.com/{cc}/artist/{s.artist.lower().replace(' ', '-')}/8{s.apple_id}"}}]})

    @routes.get("/v1/catalog/{cc}/artists/{id}/view/top-songs")
    async def top_songs(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        artist = next((s.artist for s in catalog.songs if f"8{s.apple_id}" == request.match_info["id"]), None)
        return web.json_response({"data": [song(s, request.match_info["cc"]) for s in catalog.songs
                                           if s.artist == artist]})

    @routes.get("/v1/catalog/{cc}/search")
    async def search(request: web.Request) -> web.Response:
        if not authorised(request):
            return web.Response(status=401)
        term, cc = request.query["term"].casefold(), request.match_info["cc"]
        hits = [song(s, cc) for s in catalog.songs if term in f"{s.title} {s.artist}".casefold()]
        return web.json_response({"results": {"songs": {"href": request.path_qs, "data": hits}} if hits else {}})

    return routes


# --- Deezer ---------------------------------------------------------------------------------------------------------


def deezer_routes(catalog: Catalog) -> web.RouteTableDef:
    routes = web.RouteTableDef()
    no_data = {"error": {"type": "DataException", "message": "no data", "code": 800}}

    def artist(s: Song) -> dict[str, Any]:
        aid = zlib.crc32(s.artist.encode()) % 10_000_000
        return {"id": aid, "name": s.artist, "link": f"https://www.deezer.com/artist/{aid}",
                "picture_xl": f"https://e-cdns-images.dzcdn.net/images/artist/{aid}/1000x1000.jpg",
                "type": "artist"}

    def album(s: Song) -> dict[str, Any]:
        return {"id": s.deezer_id + 1_000_000, "title": s.album,
                "link": f"https://www.deezer.com/album/{s.deezer_id + 1_000_000}",
                "cover_xl": f"https://e-cdns-images.dzcdn.net/images/cover/{s.deezer_id}/1000x1000.jpg",
                "type": "album"}

    def track(s: Song, with_album: bool = True) -> dict[str, Any]:
        out = {"id": s.deezer_id, "readable": True, "title": s.title, "title_short": s.title, "isrc": s.isrc,
               "link": f"https://www.deezer.com/track/{s.deezer_id}", "duration": s.duration_ms // 1000,
               "rank": 500000, "explicit_lyrics": False,
               "preview": f"https://cdns-preview-0.dzcdn.net/stream/{s.deezer_id}.mp3", "artist": artist(s),
               "type": "track"}
        return {**out, "album": album(s)} if with_album else out

    @routes.get("/track/{id}")
    async def one_track(request: web.Request) -> web.Response:
        key = request.match_info["id"]
        s = catalog.by("isrc", key.removeprefix("isrc:")) if key.startswith("isrc:") else (
            catalog.by("deezer_id", int(key)) if key.isdigit() else None)
        return web.json_response(track(s) if s else no_data)

    @routes.get("/album/{id}")
    async def one_album(request: web.Request) -> web.Response:
        songs = [s for s in catalog.songs if s.deezer_id + 1_000_000 == int(request.match_info["id"])]
        if not songs:
            return web.json_response(no_data)
        return web.json_response({**album(songs[0]), "nb_tracks": len(songs), "artist": artist(songs[0]),
                                  "tracks": {"data": [track(s, with_album=False) for s in songs]}})

    @routes.get("/search")
    async def search(request: web.Request) -> web.Response:
        q = request.query["q"].casefold()
        hits = [track(s) for s in catalog.songs if q in f"{s.title} {s.artist}".casefold()]
        return web.json_response({"data": hits, "total": len(hits)})

    @routes.get("/playlist/{id}")
    async def one_playlist(request: web.Request) -> web.Response:
        found = catalog.playlists.get(request.match_info["id"])
        if found is None:
            return web.json_response(no_data)
        name, owner, songs = found
        pid = request.match_info["id"]
        return web.json_response({
            "id": pid, "title": name, "nb_tracks": len(songs), "link": f"https://www.deezer.com/playlist/{pid}",
            "picture_xl": f"https://e-cdns-images.dzcdn.net/images/playlist/{pid}/1000x1000.jpg",
            "creator": {"id": 5, "name": owner, "type": "user"}, "type": "playlist",
            "tracks": {"data": [track(s) for s in songs]},
        })

    @routes.get("/artist/{id}")
    async def one_artist(request: web.Request) -> web.Response:
        found = next((s for s in catalog.songs if str(artist(s)["id"]) == request.match_info["id"]), None)
        return web.json_response(artist(found) if found else no_data)

    @routes.get("/artist/{id}/top")
    async def top(request: web.Request) -> web.Response:
        hits = [track(s) for s in catalog.songs if str(artist(s)["id"]) == request.match_info["id"]]
        return web.json_response({"data": hits[: int(request.query.get("limit", 5))], "total": len(hits)})

    return routes


# --- a mirror provider ----------------------------------------------------------------------------------------------


def mirror_routes(catalog: Catalog) -> web.RouteTableDef:
    """What tests/fakes/music/mirror_plugin.py searches: like a video site's search, by ISRC or by words."""
    routes = web.RouteTableDef()

    @routes.get("/mirror/search")
    async def search(request: web.Request) -> web.Response:
        q = request.query["q"].strip().strip('"')
        words = set(q.casefold().split())
        hits = [m for m in catalog.mirrors if q in m.isrc_hits or (words and words <= set(m.words))]
        return web.json_response([{"identifier": m.identifier, "title": m.title, "author": m.author,
                                   "lengthMs": m.length_ms, "isrc": m.isrc, "url": m.media} for m in hits])

    @routes.get("/mirror/broken")
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=503, text="the mirror is down")

    return routes
