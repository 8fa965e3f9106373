"""LRCLIB (https://lrclib.net/docs): synced lyrics by track name, artist and duration.

`GET {base}/api/search?track_name=...&artist_name=...` answers a JSON array of records (`id`, `trackName`,
`artistName`, `albumName`, `duration` in seconds, `instrumental`, `plainLyrics`, `syncedLyrics` in LRC). The track's
duration picks among them (within `DURATION_TOLERANCE_S`, as LRCLIB's own /api/get matches), synced ones first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from lavalink_py import __version__
from lavalink_py.plugins.api import RoutedHttp, Track
from lavalink_py.plugins.bundled.lyrics_model import Lyrics, parse_lrc

DURATION_TOLERANCE_S = 2.0
USER_AGENT = f"lavalink_py/{__version__} (https://github.com/lavalink-devs/Lavalink compatible node)"


def search_url(base_url: str, track: Track) -> str:
    query = {"track_name": track.info.title, "artist_name": track.info.author}
    return f"{base_url.rstrip('/')}/api/search?{urlencode(query)}"


def best_record(records: Sequence[Any], length_ms: int) -> dict[str, Any] | None:
    """The record whose duration is within the tolerance of the track's, synced lyrics preferred, then nearest."""
    fitting = []
    for record in records:
        if not isinstance(record, dict) or record.get("instrumental") is True:
            continue
        duration = record.get("duration")
        if not isinstance(duration, int | float) or abs(duration - length_ms / 1000) > DURATION_TOLERANCE_S:
            continue
        if not record.get("syncedLyrics") and not record.get("plainLyrics"):
            continue
        fitting.append(record)
    fitting.sort(key=lambda r: (not r.get("syncedLyrics"), abs(r["duration"] - length_ms / 1000)))
    return fitting[0] if fitting else None


def lyrics_of(record: dict[str, Any]) -> Lyrics:
    synced = record.get("syncedLyrics")
    plain = record.get("plainLyrics")
    return Lyrics(
        source_name="lrclib",
        provider="LRCLIB",
        text=plain if isinstance(plain, str) else None,
        lines=parse_lrc(synced) if isinstance(synced, str) else (),
        plugin={"lrclibId": record.get("id")},
    )


class LrclibClient:
    """LRCLIB's API through the plugin API's requester (the route planner's address, 429 -> next)."""

    def __init__(self, base_url: str, http: RoutedHttp) -> None:
        self.base_url = base_url
        self._http = http  # the node closes it when it stops

    async def lyrics(self, track: Track) -> Lyrics | None:
        """The track's lyrics, None when LRCLIB has none that fit; raises aiohttp.ClientError when it fails."""
        async with self._http.get(search_url(self.base_url, track)) as response:
            if response.status == 404:
                return None
            response.raise_for_status()
            records = await response.json(content_type=None)
        record = best_record(records if isinstance(records, list) else [], track.info.length_ms)
        return None if record is None else lyrics_of(record)
