"""A folder plugin for the bundled plugins' tests: a source named `youtube` (as the SponsorBlock plugin wants), its
tracks played from a local file the test generated, with search, album and artist results for LavaSearch and
lyrics of its own for the lyrics plugin's source hook. Copied into a temporary plugins folder by the tests."""

from __future__ import annotations

from dataclasses import dataclass

from lavalink_py.plugins.api import (
    LoadResult,
    NoMatches,
    PlaylistLoaded,
    PluginContext,
    SearchLoaded,
    StreamSpec,
    Track,
    TrackInfo,
    TrackLoaded,
    make_track,
)
from lavalink_py.plugins.bundled.lyrics_model import Lyrics, LyricsLine


@dataclass(frozen=True, slots=True)
class FakeYtConfig:
    media: str = ""
    length_ms: int = 6000
    lyrics: bool = False


class FakeYoutube:
    name = "youtube"

    def __init__(self, config: FakeYtConfig) -> None:
        self.config = config

    def track(self, video_id: str, title: str = "Sweep") -> Track:
        url = f"https://www.youtube.com/watch?v={video_id}"
        return make_track(TrackInfo(title, "Test Tones", self.config.length_ms, video_id, False, url, self.name))

    async def load_item(self, identifier: str) -> LoadResult | None:
        if identifier.startswith(("fakeytsearch:", "ytsearch:")):
            query = identifier.split(":", 1)[1]
            if query == "nothing":
                return NoMatches()
            return SearchLoaded([self.track("vid1", f"{query} one"), self.track("vid2", f"{query} two")])
        if not identifier.startswith("fakeyt:"):
            return None
        rest = identifier.removeprefix("fakeyt:")
        for kind in ("album", "artist", "playlist"):
            if rest.startswith(f"{kind}:"):
                name = rest.removeprefix(f"{kind}:")
                return PlaylistLoaded(name, [self.track("vid1")], plugin_info={"type": kind})
        return TrackLoaded(self.track(rest))

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return StreamSpec(url=self.config.media)

    async def load_lyrics(self, track: Track) -> Lyrics | None:
        if not self.config.lyrics:
            return None
        return Lyrics("youtube", "fake captions", None, (LyricsLine(0, 1000, "own line"),))


class FakeYtPlugin:
    name = "fakeyt"
    version = "0.1"

    def setup(self, context: PluginContext) -> None:
        context.add_source(FakeYoutube(context.config(FakeYtConfig)), search_prefixes=["fakeytsearch:", "ytsearch:"])


plugin = FakeYtPlugin
