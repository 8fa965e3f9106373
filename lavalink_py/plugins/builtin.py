"""The node's own sources, registered through the plugin API like any plugin (they are not listed in /v4/info).

Order, as Lavalink's: the yt-dlp sites (each claims only its URLs and search prefixes), then third-party plugins'
sources, then the catch-alls: plain HTTP (any http(s) URL), then local files.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from lavalink_py import __version__
from lavalink_py.config import Settings
from lavalink_py.plugins.api import PluginContext
from lavalink_py.plugins.youtube import YoutubeOptions
from lavalink_py.sources.base import SourceManager
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.local import LocalSourceManager
from lavalink_py.sources.probe import MediaProbe
from lavalink_py.sources.routing.outbound import Outbound
from lavalink_py.sources.ytdlp import deferred


@dataclass(frozen=True, slots=True)
class SiteSources:
    """yt-dlp's sites; YouTube as `lavalink.server.sources.youtube` says, or as `plugins.youtube` says when
    youtube-plugin is declared or configured (`youtube`, then not None)."""

    settings: Settings
    executor: Executor
    youtube: YoutubeOptions | None = None
    outbound: Outbound | None = None  # the route planner every request goes through

    name = "lavalink-py-sites"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        server = self.settings.lavalink.server
        enabled = server.sources
        options = self.youtube
        youtube_on = enabled.youtube if options is None else options.enabled
        youtube_search = server.youtube_search_enabled if options is None else options.allow_search
        prefixes = {
            "youtube": [deferred.YOUTUBE_SEARCH, deferred.YOUTUBE_MUSIC_SEARCH] if youtube_search else [],
            "soundcloud": [deferred.SOUNDCLOUD_SEARCH] if server.soundcloud_search_enabled else [],
            "bandcamp": [deferred.BANDCAMP_SEARCH],
        }
        switches = dict(zip(deferred.SITE_NAMES, (
            youtube_on, enabled.soundcloud, enabled.bandcamp, enabled.twitch, enabled.vimeo, enabled.nico
        ), strict=True))

        def build() -> list[SourceManager]:
            from lavalink_py.sources.ytdlp.factory import build_ytdlp_managers

            return build_ytdlp_managers(
                executor=self.executor,
                youtube=youtube_on,
                soundcloud=enabled.soundcloud,
                bandcamp=enabled.bandcamp,
                twitch=enabled.twitch,
                vimeo=enabled.vimeo,
                niconico=enabled.nico,
                youtube_search=youtube_search,
                youtube_direct_video_ids=True if options is None else options.allow_direct_video_ids,
                youtube_direct_playlist_ids=True if options is None else options.allow_direct_playlist_ids,
                soundcloud_search=server.soundcloud_search_enabled,
                playlist_load_limit=server.youtube_playlist_load_limit,
                outbound=self.outbound,
            )

        # Built at the first load or stream of any site, on the yt-dlp pool (deferred.py): not at start.
        sites = deferred.DeferredSites([name for name, on in switches.items() if on], build, self.executor)
        for manager in sites.placeholders():
            context.add_source(manager, search_prefixes=prefixes.get(manager.name, ()))


@dataclass(frozen=True, slots=True)
class CatchAllSources:
    """Plain HTTP and local files, asked after every other source."""

    settings: Settings
    executor: Executor
    outbound: Outbound | None = None

    name = "lavalink-py-http-local"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        server = self.settings.lavalink.server
        timeouts = server.timeouts
        probe = MediaProbe(
            connect_timeout_s=timeouts.connect_timeout_ms / 1000,
            read_timeout_s=timeouts.socket_timeout_ms / 1000,
            executor=self.executor,
        )
        http = HttpSourceManager(probe, outbound=self.outbound)
        if server.sources.http:
            context.add_source(http, catch_all=True)
        if server.sources.local:
            # Playlist files on disk name their entries by URL, which the HTTP source opens (as lavaplayer does).
            context.add_source(LocalSourceManager(http=http, directories=server.local_directories), catch_all=True)
