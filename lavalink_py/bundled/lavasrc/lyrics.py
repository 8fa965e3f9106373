"""Lyrics from the mirror services, as LavaSrc's `lyrics-sources` gives them to LavaLyrics (the lavalyrics-plugin).

- Spotify: the web player's color-lyrics endpoint, `GET {clientApiUrl}/color-lyrics/v2/track/{id}?format=json&
  vocalRemoval=false` with the account token that the `sp_dc` cookie buys from the web player's token endpoint
  (`customTokenEndpoint`, else `webTokenUrl`; it answers `accessToken`, `accessTokenExpirationTimestampMs`). Its
  `lyrics.lines` (`startTimeMs`, `words`; strings) become timed lines when `syncType` is `LINE_SYNCED`; unsynced
  lyrics become the text. Provider: `providerDisplayName`.
- Deezer: the web gateway (`privateApiUrl`, gw-light.php): `deezer.getUserData` with the `arl` cookie gives a
  session (`sid` cookie) and its `checkForm` API token; `song.getLyrics&sng_id=` answers `LYRICS_TEXT` and
  `LYRICS_SYNC_JSON` lines (`milliseconds`, `duration`, `line`). Provider: LyricFind, as LavaSrc says.

A track of another source is first found on the service, as LavaSrc does: by its ISRC, then by "title author".
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import quote

from lavalink_py.bundled.lavasrc.config import DeezerConfig, SpotifyConfig
from lavalink_py.bundled.lavasrc.source import CatalogResult, MirrorSource, Search
from lavalink_py.bundled.lavasrc.tracks import ServiceTrack
from lavalink_py.bundled.lavasrc.web import JsonClient, ServiceHttpError
from lavalink_py.plugins.api import FriendlyError, LoadResult, StreamSpec, Track, TrackInfo
from lavalink_py.plugins.bundled.lyrics_model import Lyrics, LyricsLine

Lookup = Callable[[str], Awaitable[CatalogResult]]
WEB_PLAYER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/124.0.0.0 Safari/537.36")
DEEZER_SESSION_S = 3600.0  # LavaSrc renews the gateway session after an hour


class ServiceLyrics(Protocol):
    async def load_lyrics(self, track: Track) -> Lyrics | None: ...


def _first_id(found: CatalogResult) -> str | None:
    if isinstance(found, ServiceTrack):
        return found.identifier
    if isinstance(found, Search) and found.tracks:
        return found.tracks[0].identifier
    return None


async def service_id(track: Track, own_name: str, lookup: Lookup, isrc_query: str, text_query: str) -> str | None:
    """The track's id on the service: its own identifier, else found by ISRC, then by title and author."""
    if track.info.source_name == own_name:
        return track.info.identifier
    queries = ([isrc_query + track.info.isrc] if track.info.isrc else []) + [
        f"{text_query}{track.info.title} {track.info.author}"]
    for query in queries:
        found = _first_id(await lookup(query))
        if found is not None:
            return found
    return None


def _millis(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def spotify_lyrics(body: Any) -> Lyrics | None:
    """Lyrics from color-lyrics' answer; None when it has no lines."""
    lyrics = body.get("lyrics") if isinstance(body, dict) else None
    if not isinstance(lyrics, dict) or not isinstance(lyrics.get("lines"), list):
        return None
    provider = str(lyrics.get("providerDisplayName") or "MusixMatch")
    raw = [line for line in lyrics["lines"] if isinstance(line, dict)]
    words = [str(line.get("words") or "") for line in raw]
    if lyrics.get("syncType") == "UNSYNCED":
        return Lyrics("spotify", provider, "\n".join(words)) if words else None
    lines = []
    for line, text in zip(raw, words, strict=True):
        start, end = _millis(line.get("startTimeMs")) or 0, _millis(line.get("endTimeMs")) or 0
        lines.append(LyricsLine(start, end - start if end > start else None, text))
    return Lyrics("spotify", provider, None, tuple(lines)) if lines else None


def deezer_lyrics(results: Any) -> Lyrics | None:
    """Lyrics from song.getLyrics' `results`; None when there are none. Lines without a time (blank separators in
    LYRICS_SYNC_JSON) are left out."""
    if not isinstance(results, dict) or not results:
        return None
    text = results.get("LYRICS_TEXT")
    lines = []
    for line in results.get("LYRICS_SYNC_JSON") or []:
        start = _millis(line.get("milliseconds")) if isinstance(line, dict) else None
        if start is None:
            continue
        lines.append(LyricsLine(start, _millis(line.get("duration")), str(line.get("line") or "")))
    if not text and not lines:
        return None
    return Lyrics("deezer", "LyricFind", text if isinstance(text, str) and text else None, tuple(lines))


class SpotifyLyrics:
    def __init__(self, config: SpotifyConfig, http: JsonClient, lookup: Lookup,
                 clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._http = http
        self._lookup = lookup
        self._clock = clock  # wall clock: the token's expiry is a Unix time in milliseconds
        self._token: tuple[str, float] | None = None

    async def _account_token(self) -> str:
        if self._token is not None and self._clock() < self._token[1]:
            return self._token[0]
        if not self._config.sp_dc:
            raise FriendlyError("Spotify lyrics need plugins.lavasrc.spotify.spDc")
        url = self._config.custom_token_endpoint or self._config.web_token_url
        body = await self._http.get("Spotify", url, headers={
            "Cookie": f"sp_dc={self._config.sp_dc}", "App-Platform": "WebPlayer", "User-Agent": WEB_PLAYER_UA})
        token = body.get("accessToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or (isinstance(body, dict) and body.get("error")):
            raise FriendlyError(f"Spotify's web token endpoint gave no account token: {body!r:.200}", "suspicious")
        if body.get("isAnonymous") is True:  # the cookie was not taken: an anonymous token reads no lyrics
            raise FriendlyError("Spotify refused plugins.lavasrc.spotify.spDc (it gave an anonymous token)")
        expires_ms = _millis(body.get("accessTokenExpirationTimestampMs")) or 0
        self._token = (token, expires_ms / 1000 - 30)  # renew a little early
        return token

    async def load_lyrics(self, track: Track) -> Lyrics | None:
        track_id = await service_id(track, "spotify", self._lookup, "spsearch:isrc:", "spsearch:")
        if track_id is None:
            return None
        token = await self._account_token()
        url = f"{self._config.client_api_url.rstrip('/')}/color-lyrics/v2/track/{quote(track_id, safe='')}"
        try:
            body = await self._http.get("Spotify", url, params={"format": "json", "vocalRemoval": "false"}, headers={
                "Authorization": f"Bearer {token}", "App-Platform": "WebPlayer", "User-Agent": WEB_PLAYER_UA})
        except ServiceHttpError as exc:
            if exc.status == 404:  # no lyrics for this track
                return None
            if exc.status == 401:
                self._token = None
            raise
        return spotify_lyrics(body)


class DeezerLyrics:
    def __init__(self, config: DeezerConfig, http: JsonClient, lookup: Lookup,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._http = http
        self._lookup = lookup
        self._clock = clock
        self._session: tuple[str, str, float] | None = None  # (api token, cookie header, renew at)

    async def _gateway_session(self) -> tuple[str, str]:
        if self._session is not None and self._clock() < self._session[2]:
            return self._session[0], self._session[1]
        if not self._config.arl:
            raise FriendlyError("Deezer lyrics need plugins.lavasrc.deezer.arl")
        body, cookies = await self._http.request_with_cookies(
            "Deezer", "POST", self._config.private_api_url,
            params={"method": "deezer.getUserData", "input": "3", "api_version": "1.0", "api_token": ""},
            headers={"Cookie": f"arl={self._config.arl}"})
        results = body.get("results") if isinstance(body, dict) else None
        results = results if isinstance(results, dict) else {}
        api_token = results.get("checkForm")
        if not isinstance(api_token, str) or not api_token or "sid" not in cookies:
            raise FriendlyError("Deezer's gateway gave no session (is deezer.arl valid?)", "suspicious")
        user = results.get("USER")
        if not isinstance(user, dict) or not user.get("USER_ID"):  # a guest session: the arl was not taken
            raise FriendlyError("Deezer refused plugins.lavasrc.deezer.arl (it opened a guest session)")
        cookie = "; ".join(f"{name}={cookies[name]}" for name in ("sid", "dzr_uniq_id") if name in cookies)
        self._session = (api_token, cookie, self._clock() + DEEZER_SESSION_S)
        return api_token, cookie

    async def load_lyrics(self, track: Track) -> Lyrics | None:
        track_id = await service_id(track, "deezer", self._lookup, "dzisrc:", "dzsearch:")
        if track_id is None:
            return None
        for attempt in (1, 2):
            api_token, cookie = await self._gateway_session()
            body = await self._http.get("Deezer", self._config.private_api_url, params={
                "method": "song.getLyrics", "api_version": "1.0", "api_token": api_token, "sng_id": track_id,
            }, headers={"Cookie": cookie})
            error = body.get("error") if isinstance(body, dict) else None
            if isinstance(error, dict) and "VALID_TOKEN_REQUIRED" in error and attempt == 1:
                self._session = None  # the session ended early: one new one, one retry
                continue
            return deezer_lyrics(body.get("results") if isinstance(body, dict) else None)
        raise AssertionError("unreachable")


class LyricsMirrorSource(MirrorSource):
    """A service's source that also answers lyrics (sources.X and lyricsSources.X): the lavalyrics-plugin finds it
    by name and sees LyricsSource's load_lyrics."""

    def __init__(self, *args: Any, lyrics: ServiceLyrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lyrics = lyrics

    async def load_lyrics(self, track: Track) -> Lyrics | None:
        return await self._lyrics.load_lyrics(track)


class LyricsOnlySource:
    """lyricsSources.X without sources.X (LavaSrc allows it): registered under the service's name so the
    lavalyrics-plugin finds its lyrics, but it loads nothing and opens nothing."""

    listed = False  # not in /v4/info sourceManagers: clients would take the service's searches for available

    def __init__(self, name: str, lyrics: ServiceLyrics) -> None:
        self.name = name
        self._lyrics = lyrics

    async def load_item(self, identifier: str) -> LoadResult | None:
        return None

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        raise FriendlyError(f"the {self.name} source is off (plugins.lavasrc.sources.{self.name}); only its lyrics "
                            "are served")

    async def load_lyrics(self, track: Track) -> Lyrics | None:
        return await self._lyrics.load_lyrics(track)
