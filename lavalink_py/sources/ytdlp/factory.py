"""Builds the yt-dlp managers Lavalink's `sources.*` switches enable, in Lavalink's registration order."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor

import aiohttp

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, NoMatches, SearchLoaded
from lavalink_py.sources.base import SourceManager
from lavalink_py.sources.routing.outbound import Outbound
from lavalink_py.sources.ytdlp.extraction import Extract, YtdlpRunner, ytdlp_extract
from lavalink_py.sources.ytdlp.manager import Clock, YtdlpSourceManager, make_track
from lavalink_py.sources.ytdlp.sites.bandcamp import SEARCH_PREFIX, BandcampSite
from lavalink_py.sources.ytdlp.sites.bandcamp_search import search_bandcamp
from lavalink_py.sources.ytdlp.sites.simple import NiconicoSite, TwitchSite, VimeoSite
from lavalink_py.sources.ytdlp.sites.soundcloud import SoundcloudSite
from lavalink_py.sources.ytdlp.sites.youtube import YoutubeSite
from lavalink_py.sources.ytdlp.streams import StreamCache

_log = logging.getLogger(__name__)

BANDCAMP_BASE_URL = "https://bandcamp.com"


class BandcampSourceManager(YtdlpSourceManager):
    """Pages through yt-dlp like the others, but answers `bcsearch:` from Bandcamp's search page itself."""

    def __init__(
        self, runner: YtdlpRunner, *, search_base_url: str = BANDCAMP_BASE_URL, search_timeout_s: float = 10.0,
        base_url: str | None = None, cache: StreamCache | None = None, clock: Clock = time.time,
        playlist_limit: int | None = None,
    ) -> None:
        super().__init__(BandcampSite(), runner, base_url=base_url, cache=cache, clock=clock,
                         playlist_limit=playlist_limit)
        self._search_base_url = search_base_url
        self._search_timeout_s = search_timeout_s

    async def load_item(self, identifier: str) -> LoadResult | None:
        if not identifier.startswith(SEARCH_PREFIX):
            return await super().load_item(identifier)
        query = identifier[len(SEARCH_PREFIX) :].strip()
        if not query:
            return NoMatches()
        try:
            found = await search_bandcamp(query, base_url=self._search_base_url, timeout_s=self._search_timeout_s,
                                          outbound=self.runner.outbound)
        except aiohttp.ClientResponseError as exc:
            return LoadFailed(FriendlyError(self.site.failure_message, "suspicious", f"{type(exc).__name__}: {exc}"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            _log.info("bandcamp: search %r failed: %s", query, exc)
            return LoadFailed(FriendlyError(self.site.failure_message, "fault", f"{type(exc).__name__}: {exc}"))
        return SearchLoaded([make_track(info) for info in found]) if found else NoMatches()


def build_ytdlp_managers(
    *,
    executor: Executor,
    youtube: bool = True,
    soundcloud: bool = True,
    bandcamp: bool = True,
    twitch: bool = True,
    vimeo: bool = True,
    niconico: bool = True,
    youtube_search: bool = True,
    youtube_direct_video_ids: bool = True,
    youtube_direct_playlist_ids: bool = True,
    soundcloud_search: bool = True,
    base_urls: Mapping[str, str] | None = None,
    playlist_load_limit: int | None = 6,
    extract: Extract = ytdlp_extract,
    clock: Clock = time.time,
    timeout_s: float = 30.0,
    socket_timeout_s: float = 10.0,
    outbound: Outbound | None = None,
) -> list[SourceManager]:
    """One manager per enabled source, sharing one runner (so `executor` bounds all yt-dlp work together).

    `base_urls` maps a sourceName (and "bandcamp_search", "youtube_music") to where its requests go instead of the
    real site: tests point them at local servers. `playlist_load_limit` is Lavalink's `playlistLoadLimit`, in pages
    of 100 entries (None: no limit). `outbound` is the route planner every extraction and stream binds through.
    """
    urls = dict(base_urls or {})
    playlist_limit = playlist_load_limit * 100 if playlist_load_limit is not None else None
    runner = YtdlpRunner(executor, extract, timeout_s=timeout_s, socket_timeout_s=socket_timeout_s, outbound=outbound)
    managers: list[SourceManager] = []

    def add(site: YoutubeSite | SoundcloudSite | TwitchSite | VimeoSite | NiconicoSite) -> None:
        managers.append(YtdlpSourceManager(site, runner, base_url=urls.get(site.name), clock=clock,
                                           playlist_limit=playlist_limit))

    if youtube:
        music = urls.get("youtube_music", "https://music.youtube.com")
        add(YoutubeSite(search_enabled=youtube_search, music_base_url=music,
                        allow_direct_video_ids=youtube_direct_video_ids,
                        allow_direct_playlist_ids=youtube_direct_playlist_ids))
    if soundcloud:
        add(SoundcloudSite(search_enabled=soundcloud_search))
    if bandcamp:
        managers.append(BandcampSourceManager(
            runner, search_base_url=urls.get("bandcamp_search", BANDCAMP_BASE_URL), search_timeout_s=timeout_s,
            base_url=urls.get("bandcamp"), clock=clock, playlist_limit=playlist_limit,
        ))
    if twitch:
        add(TwitchSite())
    if vimeo:
        add(VimeoSite())
    if niconico:
        add(NiconicoSite())
    return managers


async def warm_up_ytdlp(managers: Sequence[SourceManager]) -> None:
    """Load yt-dlp's extractors now (about a second, once per process) rather than during the first `loadtracks`."""
    runner = next((m.runner for m in managers if isinstance(m, YtdlpSourceManager)), None)
    if runner is not None:
        await runner.warm_up()
