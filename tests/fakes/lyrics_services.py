"""Local servers speaking LRCLIB's and SponsorBlock's public APIs, from their published docs:

- LRCLIB (https://lrclib.net/docs): `GET /api/search?track_name=&artist_name=` -> a JSON array of lyrics records
  (`id`, `trackName`, `artistName`, `albumName`, `duration` in seconds, `instrumental`, `plainLyrics`,
  `syncedLyrics`); `[]` when nothing matches.
- SponsorBlock (https://wiki.sponsor.ajay.app/w/API_Docs): `GET /api/skipSegments?videoID=&categories=[...]&
  actionType=` -> a JSON array of `{"segment": [start_s, end_s], "UUID", "category", "videoDuration", "actionType",
  "locked", "votes", "description"}`, 404 "Not Found" when the video has none; 400 for a malformed `categories`.

Each records the requests it got, so tests see what the node really asked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from yarl import URL


@dataclass
class FakeLrclib:
    records: list[dict[str, Any]] = field(default_factory=list)
    requests: list[URL] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)
    fail: bool = False
    peers: list[str] = field(default_factory=list)  # each request's source address (the route planner tests)
    rate_limited: set[str] = field(default_factory=set)  # source addresses answered 429

    async def search(self, request: web.Request) -> web.Response:
        self.requests.append(request.rel_url)
        self.user_agents.append(request.headers.get("User-Agent", ""))
        peer = request.transport.get_extra_info("peername")[0] if request.transport else "?"
        self.peers.append(peer)
        if peer in self.rate_limited:
            return web.json_response({"code": 429, "name": "TooManyRequests", "message": "slow down"}, status=429)
        if self.fail:
            return web.json_response({"code": 500, "name": "InternalError", "message": "boom"}, status=500)
        title = request.query.get("track_name", "").lower()
        artist = request.query.get("artist_name", "").lower()
        if not title and not request.query.get("q"):
            return web.json_response(
                {"code": 400, "name": "QueryParamsMissing", "message": "q or track_name is required"}, status=400
            )
        found = [
            r for r in self.records
            if title in r["trackName"].lower() and (not artist or artist in r["artistName"].lower())
        ]
        return web.json_response(found)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/search", self.search)
        return app


@dataclass
class FakeSponsorBlock:
    # videoID -> every segment the database has for it (all categories and action types)
    videos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[URL] = field(default_factory=list)

    async def skip_segments(self, request: web.Request) -> web.Response:
        self.requests.append(request.rel_url)
        video = request.query.get("videoID")
        if not video:
            return web.Response(status=400, text="videoID is required")
        try:
            categories = json.loads(request.query.get("categories", '["sponsor"]'))
        except ValueError:
            return web.Response(status=400, text="Categories parameter does not match format requirements.")
        actions = request.query.getall("actionType", ["skip"])
        found = [
            s for s in self.videos.get(video, [])
            if s["category"] in categories and s.get("actionType", "skip") in actions
        ]
        if not found:
            return web.Response(status=404, text="Not Found")
        return web.json_response(found)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/skipSegments", self.skip_segments)
        return app


def segment(start_s: float, end_s: float, category: str, *, action: str = "skip", description: str = "",
            duration_s: float = 0.0) -> dict[str, Any]:
    """A segment as SponsorBlock's API lists it."""
    return {
        "segment": [start_s, end_s], "UUID": f"{category}-{start_s}", "category": category,
        "videoDuration": duration_s, "actionType": action, "locked": 0, "votes": 3, "description": description,
    }


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()
