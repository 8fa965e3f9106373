"""What the lavasrc plugin's result cache saves: `/v4/loadtracks` of a Spotify playlist of 300 tracks (three pages
of 100 from a local server speaking Spotify's Web API, plus the token request), with the caches off
(`cache.ttlSeconds: 0`) and on (every load after the first is a cache hit).

    python -m bench.lavasrc [--rounds 20] [--tracks 300]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time

import aiohttp

from tests.fakes.music.catalog import Catalog, Song
from tests.fakes.music.servers import CLIENT_ID, CLIENT_SECRET, serve, spotify_routes
from tests.node import running_nodes

PLAYLIST = "37i9dQZF1DXcBWIGoYBM5M"


def songs(count: int) -> list[Song]:
    return [Song(f"{i:022d}", str(i), i, f"Song {i}", f"Artist {i % 7}", f"{i % 7:022d}", f"Album {i % 11}",
                 f"{1000 + i % 11:022d}", 180_000 + i, f"GBAYE24{i:05d}") for i in range(count)]


async def measure(tracks: int, rounds: int, ttl_s: float) -> tuple[float, float]:
    catalog = Catalog(songs(tracks))
    catalog.playlists[PLAYLIST] = ("Bench", "bench", catalog.songs)
    async with serve(lambda base: spotify_routes(catalog, base)) as spotify, running_nodes() as start:
        node = await start({"plugins": {"lavasrc": {
            "sources": {"spotify": True}, "cache": {"ttlSeconds": ttl_s},
            "spotify": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "apiUrl": f"{spotify.url}/v1",
                        "tokenUrl": f"{spotify.url}/api/token", "playlistLoadLimit": 10},
        }}})
        samples = []
        async with aiohttp.ClientSession() as http:
            for i in range(rounds + 1):
                started = time.perf_counter()
                async with http.get(node.url + "/v4/loadtracks", headers=node.auth,
                                    params={"identifier": f"https://open.spotify.com/playlist/{PLAYLIST}"}) as r:
                    body = await r.json()
                assert body["loadType"] == "playlist" and len(body["data"]["tracks"]) == tracks
                if i:  # the first is cold either way (token, first fill)
                    samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples), min(samples)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--tracks", type=int, default=300)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print(f"load average {os.getloadavg()[0]:.1f}, {args.tracks}-track Spotify playlist, {args.rounds} rounds")
    for label, ttl in (("cache off", 0.0), ("cache on", 3600.0)):
        median, least = await measure(args.tracks, args.rounds, ttl)
        print(f"| /v4/loadtracks, {label} | {median:.1f} ms | {least:.1f} ms |")


if __name__ == "__main__":
    asyncio.run(main())
