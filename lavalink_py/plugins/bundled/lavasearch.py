"""LavaSearch's `/v4/loadsearch` (github:topi314/LavaSearch), answered from the node's own sources.

`GET /v4/loadsearch?query=...&types=track,album,artist,playlist,text` loads `query` as /v4/loadtracks would and
sorts what comes back into LavaSearch's result object: tracks into `tracks`; a playlist into `albums`, `artists` or
`playlists` by its pluginInfo `type` (LavaSrc's "album" / "artist" / anything else); `texts` stays empty (no source
here gives text results). Only the requested types appear; no `types` means all of them, as LavaSearch's search
managers read an empty set. Nothing found answers 204, as LavaSearch does. Playlists are listed without their
tracks, as LavaSearch documents.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from lavalink_py import __version__
from lavalink_py.plugins.api import (
    LoadFailed,
    LoadResult,
    PlaylistLoaded,
    PluginContext,
    RequestError,
    SearchLoaded,
    Track,
    TrackLoaded,
)
from lavalink_py.protocol.track import track_json

TYPES = ("track", "album", "artist", "playlist", "text")
_FIELDS = {"track": "tracks", "album": "albums", "artist": "artists", "playlist": "playlists", "text": "texts"}
_SPLIT = re.compile(r",\s*")


def parse_types(raw: str | None) -> frozenset[str]:
    """LavaSearch splits on commas and drops names it does not know; none left (or none given) means every type."""
    if raw is None or not raw.strip():
        return frozenset(TYPES)
    chosen = frozenset(name.strip().lower() for name in _SPLIT.split(raw)) & frozenset(TYPES)
    return chosen or frozenset(TYPES)


def _playlist_json(playlist: PlaylistLoaded) -> dict[str, Any]:
    return {
        "info": {"name": playlist.name, "selectedTrack": playlist.selected_track},
        "pluginInfo": playlist.plugin_info,
        "tracks": [],
    }


def _playlist_kind(playlist: PlaylistLoaded) -> str:
    kind = playlist.plugin_info.get("type")
    return kind if kind in ("album", "artist") else "playlist"


def search_result_json(result: LoadResult, types: frozenset[str]) -> dict[str, Any] | None:
    """LavaSearch's result object for a load result, None when it holds nothing (204)."""
    tracks: list[Track] = []
    lists: dict[str, list[dict[str, Any]]] = {"album": [], "artist": [], "playlist": []}
    match result:
        case TrackLoaded(track=track):
            tracks = [track]
        case SearchLoaded(tracks=found):
            tracks = list(found)
        case PlaylistLoaded():
            lists[_playlist_kind(result)].append(_playlist_json(result))
        case _:
            pass
    out: dict[str, Any] = {}
    if "track" in types:
        out["tracks"] = [track_json(t) for t in tracks]
    for kind, items in lists.items():
        if kind in types:
            out[_FIELDS[kind]] = items
    if "text" in types:
        out["texts"] = []
    if not any(out.values()):
        return None
    return {"tracks": [], "albums": [], "artists": [], "playlists": [], "texts": [], **out, "plugin": {}}


class LavaSearchPlugin:
    name = "lavasearch-plugin"  # as the JVM plugin reports itself in /v4/info (clients look for this name)
    config_section = "lavasearch"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        async def loadsearch(request: web.Request) -> web.StreamResponse:
            query = request.query.get("query")
            if query is None or not query.strip():
                raise RequestError("query: required")  # Spring's missing @RequestParam: 400
            result = await context.load(query)
            if isinstance(result, LoadFailed):  # LavaSearch lets the search manager's exception out: a 500
                raise RuntimeError(f"search failed: {result.error.message}")
            body = search_result_json(result, parse_types(request.query.get("types")))
            if body is None:
                return web.Response(status=204)
            return web.json_response(body)

        context.add_route("GET", "/v4/loadsearch", loadsearch)


plugin = LavaSearchPlugin
