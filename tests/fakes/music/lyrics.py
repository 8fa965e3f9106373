"""Local servers speaking the lyrics endpoints LavaSrc reads (its SpotifySourceManager.getLyrics and
DeezerAudioSourceManager.getLyrics, with the shapes those services answer):

- Spotify's web player: `GET /api/token` with the `sp_dc` cookie -> `{"clientId", "accessToken",
  "accessTokenExpirationTimestampMs", "isAnonymous"}` (anonymous without a valid cookie); `GET
  /color-lyrics/v2/track/{id}?format=json&vocalRemoval=false` with that bearer token -> `{"lyrics": {"syncType",
  "lines": [{"startTimeMs", "words", "syllables", "endTimeMs"}] (times as strings), "provider",
  "providerDisplayName", "language", ...}, "colors": {...}, "hasVocalRemoval"}`, 404 when the track has none, 401
  for another token.
- Deezer's gateway, `/ajax/gw-light.php?method=...`: `deezer.getUserData` (POST, `arl` cookie) -> `{"error": [],
  "results": {"USER": {"USER_ID", "OPTIONS": {"license_token"}}, "checkForm"}}` and `sid` / `dzr_uniq_id` cookies;
  `song.getLyrics&api_token=<checkForm>&sng_id=` (the `sid` cookie) -> `{"error": [], "results": {"LYRICS_ID",
  "LYRICS_SYNC_JSON": [{"lrc_timestamp", "milliseconds", "duration", "line"}, {"line": ""}...], "LYRICS_TEXT",
  "LYRICS_WRITERS", "LYRICS_COPYRIGHTS"}}`; errors are status 200 with an `error` object (`VALID_TOKEN_REQUIRED`
  for a wrong token or session, `DATA_ERROR` when there are no lyrics).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SP_DC = "AQA-test-sp-dc-cookie"
ARL = "test-deezer-arl-cookie"
EXPIRES_MS = 4_102_444_800_000  # 2100-01-01: the fake's tokens do not run out during a test


@dataclass
class SpotifyLyricsFake:
    lyrics: dict[str, list[tuple[int, str]]]  # Spotify track id -> (start ms, words), LINE_SYNCED
    unsynced: dict[str, list[str]] = field(default_factory=dict)
    issued: list[str] = field(default_factory=list)
    cookies_seen: list[str] = field(default_factory=list)

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()

        @routes.get("/api/token")
        async def token(request: web.Request) -> web.Response:
            self.cookies_seen.append(request.headers.get("Cookie", ""))
            anonymous = request.cookies.get("sp_dc") != SP_DC
            self.issued.append(f"BQ-web-{'anon' if anonymous else 'account'}-{len(self.issued)}")
            return web.json_response({"clientId": "d8a5ed958d274c2e8ee717e6a4b0971d",
                                      "accessToken": self.issued[-1],
                                      "accessTokenExpirationTimestampMs": EXPIRES_MS, "isAnonymous": anonymous})

        @routes.get("/color-lyrics/v2/track/{id}")
        async def color_lyrics(request: web.Request) -> web.Response:
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            if "-account-" not in bearer or bearer not in self.issued:
                return web.json_response({"error": {"status": 401, "message": "Invalid token"}}, status=401)
            track_id = request.match_info["id"]
            if track_id in self.unsynced:
                lines = [{"startTimeMs": "0", "words": w, "syllables": [], "endTimeMs": "0"}
                         for w in self.unsynced[track_id]]
                return web.json_response(body("UNSYNCED", lines))
            if track_id not in self.lyrics:
                return web.Response(status=404)
            lines = [{"startTimeMs": str(at), "words": w, "syllables": [], "endTimeMs": "0"}
                     for at, w in self.lyrics[track_id]]
            return web.json_response(body("LINE_SYNCED", lines))

        return routes


def body(sync: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "lyrics": {"syncType": sync, "lines": lines, "provider": "MusixMatch", "providerLyricsId": "123456",
                   "providerDisplayName": "Musixmatch", "syncLyricsUri": "", "isDenseTypeface": False,
                   "alternatives": [], "language": "en", "isRtlLanguage": False, "capStatus": "NONE"},
        "colors": {"background": -9079435, "text": -16777216, "highlightText": -1},
        "hasVocalRemoval": False,
    }


@dataclass
class DeezerGatewayFake:
    lyrics: dict[str, tuple[str, list[tuple[int, int, str]]]]  # song id -> (text, [(ms, duration ms, line)])
    sessions: int = 0
    api_token: str = ""
    sid: str = ""

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()

        @routes.route("*", "/ajax/gw-light.php")
        async def gateway(request: web.Request) -> web.Response:
            method = request.query.get("method")
            if method == "deezer.getUserData":
                self.sessions += 1
                self.api_token, self.sid = f"checkform-{self.sessions}", f"fr-sid-{self.sessions}"
                user = 4242 if request.cookies.get("arl") == ARL else 0
                response = web.json_response({"error": [], "results": {
                    "USER": {"USER_ID": user, "OPTIONS": {"license_token": "lt"}}, "checkForm": self.api_token}})
                response.set_cookie("sid", self.sid)
                response.set_cookie("dzr_uniq_id", "dzr-uniq")
                return response
            if method != "song.getLyrics":
                return web.json_response({"error": {"GATEWAY_ERROR": "unknown method"}, "results": {}})
            if (request.query.get("api_token") != self.api_token or request.cookies.get("sid") != self.sid
                    or not self.api_token.endswith(str(self.sessions))):
                return web.json_response({"error": {"VALID_TOKEN_REQUIRED": "Invalid CSRF token"}, "results": {}})
            found = self.lyrics.get(request.query.get("sng_id", ""))
            if found is None:
                return web.json_response({"error": {"DATA_ERROR": "No lyrics"}, "results": {}})
            text, lines = found
            sync = []
            for at, duration, line in lines:
                minutes, seconds = divmod(at / 1000, 60)
                sync.append({"lrc_timestamp": f"[{int(minutes):02d}:{seconds:05.2f}]", "milliseconds": str(at),
                             "duration": str(duration), "line": line})
                sync.append({"line": ""})  # Deezer separates verses with untimed blank lines
            return web.json_response({"error": [], "results": {
                "LYRICS_ID": "777", "LYRICS_SYNC_JSON": sync, "LYRICS_TEXT": text,
                "LYRICS_WRITERS": "Someone", "LYRICS_COPYRIGHTS": "Someone Publishing"}})

        return routes
