"""A provider for the lavasrc plugin's mirror, as a third-party plugin (copied into a test's plugins folder):
`mirrorsearch:QUERY` asks servers.mirror_routes' search (a stand-in for a video site's), `brokensearch:QUERY` a
provider that is down. Its tracks play from the media URL the search gave."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp

from lavalink_py.plugins.api import (
    FriendlyError,
    LoadResult,
    NoMatches,
    PluginContext,
    SearchLoaded,
    StreamSpec,
    TrackInfo,
    make_track,
)


@dataclass(frozen=True, slots=True)
class MirrorConfig:
    url: str = ""


class MirrorSource:
    name = "mirrorfake"

    def __init__(self, url: str) -> None:
        self.url = url

    async def load_item(self, identifier: str) -> LoadResult | None:
        if identifier.startswith("brokensearch:"):
            async with aiohttp.ClientSession() as http, http.get(f"{self.url}/mirror/broken") as response:
                raise FriendlyError(f"the mirror answered {response.status}", "suspicious")
        if not identifier.startswith("mirrorsearch:"):
            return None
        query = identifier.removeprefix("mirrorsearch:")
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/mirror/search",
                                                             params={"q": query}) as response:
            found = await response.json()
        tracks = [make_track(TrackInfo(f["title"], f["author"], f["lengthMs"], f["identifier"], False, f["url"],
                                       self.name, None, f["isrc"])) for f in found]
        return SearchLoaded(tracks) if tracks else NoMatches()

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        # Like yt-dlp extracting a video at play time: a removed one fails here.
        assert info.uri is not None
        async with aiohttp.ClientSession() as http, http.head(info.uri) as response:
            if response.status != 200:
                raise FriendlyError(f"This video is unavailable ({response.status})", "common")
        return StreamSpec(url=info.uri)


class MirrorPlugin:
    name = "mirrorfake"
    version = "1.0.0"

    def setup(self, context: PluginContext) -> None:
        config = context.config(MirrorConfig)
        context.add_source(MirrorSource(config.url), search_prefixes=["mirrorsearch:", "brokensearch:"])


plugin = MirrorPlugin
