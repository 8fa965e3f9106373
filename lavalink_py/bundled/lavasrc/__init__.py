"""lavasrc: LavaSrc's mirror sources in Python (Spotify, Apple Music, Deezer), configured by `plugins.lavasrc` with
LavaSrc's keys. Stands in for com.github.topi314.lavasrc:lavasrc-plugin.

A service's links and searches load its metadata (catalog modules: spotify.py, applemusic.py, deezer.py, over
web.py); its tracks carry that metadata (`sourceName` the service's, artwork, ISRC, LavaSrc's `pluginInfo` and
track details, tracks.py). None of these services streams audio to us, so a track is played through a mirror:
when the player opens it, mirror.py loads `plugins.lavasrc.providers` in order through the node's sources and
matching.py picks the recording (ISRC, then title/artist and length). Results and mirrors are cached (cache.py);
the node's fallback counters count conversions, failures, search time and cache hits. With `lyrics-sources`, the
Spotify and Deezer sources also answer the lavalyrics-plugin (lyrics.py). See docs/plugins.md.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from lavalink_py import __version__
from lavalink_py.bundled.lavasrc import applemusic, deezer, spotify
from lavalink_py.bundled.lavasrc.cache import TtlCache
from lavalink_py.bundled.lavasrc.config import LavaSrcConfig, warnings
from lavalink_py.bundled.lavasrc.lyrics import (
    DeezerLyrics,
    LyricsMirrorSource,
    LyricsOnlySource,
    ServiceLyrics,
    SpotifyLyrics,
)
from lavalink_py.bundled.lavasrc.mirror import MirrorResolver
from lavalink_py.bundled.lavasrc.source import Catalog, MirrorSource
from lavalink_py.bundled.lavasrc.tracks import decode_details
from lavalink_py.bundled.lavasrc.web import JsonClient
from lavalink_py.plugins.api import LoadResult, PlaylistLoaded, PluginContext, Track

log = logging.getLogger(__name__)

# Prefixes a provider may not use: a mirror source cannot mirror itself (LavaSrc refuses spsearch:/amsearch: too).
OWN_PREFIXES = (*spotify.SpotifyCatalog.prefixes, *applemusic.AppleMusicCatalog.prefixes,
                *deezer.DeezerCatalog.prefixes)


class LavaSrcPluginInfo:
    """LavaSrc's pluginInfo of a track, rebuilt from its details, so a decoded track string shows it too."""

    def __init__(self, source_names: frozenset[str]) -> None:
        self._names = source_names

    def track(self, track: Track) -> Mapping[str, Any] | None:
        if track.info.source_name not in self._names:
            return None
        return decode_details(track.info.details)

    def playlist(self, playlist: PlaylistLoaded) -> Mapping[str, Any] | None:
        return None  # set by the source itself (a playlist is not re-decoded from a string)


class LavaSrcPlugin:
    name = "lavasrc-plugin"  # as the JVM plugin reports itself in /v4/info (lavalink-client checks this name)
    config_section = "lavasrc"
    version = __version__

    def setup(self, context: PluginContext) -> None:
        config = context.config(LavaSrcConfig)
        for line in warnings(config):
            log.warning("%s", line)
        http = JsonClient(context.http(timeout_s=config.matching.request_timeout_seconds))
        mirrors: TtlCache[tuple[str, str], Track] = TtlCache(config.cache.ttl_seconds, config.cache.max_entries)
        resolver = MirrorResolver(
            config.providers, context.load_item, context.fallback, mirrors,
            tolerance_ms=config.matching.duration_tolerance_ms, own_prefixes=OWN_PREFIXES,
        )
        sources, lyrics_on = config.sources, config.lyrics_sources
        lyrics: dict[str, ServiceLyrics] = {}
        catalogs: list[Catalog] = []
        if sources.spotify or lyrics_on.spotify:
            spotify_catalog = spotify.SpotifyCatalog(config.spotify, http)
            catalogs += [spotify_catalog] if sources.spotify else []
            if lyrics_on.spotify:
                lyrics["spotify"] = SpotifyLyrics(config.spotify, http, spotify_catalog.lookup)
        if sources.applemusic:
            catalogs.append(applemusic.AppleMusicCatalog(config.applemusic, http))
        if sources.deezer or lyrics_on.deezer:
            deezer_catalog = deezer.DeezerCatalog(config.deezer, http)
            catalogs += [deezer_catalog] if sources.deezer else []
            if lyrics_on.deezer:
                lyrics["deezer"] = DeezerLyrics(config.deezer, http, deezer_catalog.lookup)
        for catalog in catalogs:
            results: TtlCache[str, LoadResult] = TtlCache(config.cache.ttl_seconds, config.cache.max_entries)
            args = (catalog, resolver, context.open_stream, results, context.fallback)
            own = lyrics.pop(catalog.name, None)
            source = MirrorSource(*args) if own is None else LyricsMirrorSource(*args, lyrics=own)
            context.add_source(source, search_prefixes=catalog.prefixes)
        for name, only in lyrics.items():  # lyrics of a service whose source is off
            context.add_source(LyricsOnlySource(name, only))
        context.add_plugin_info(LavaSrcPluginInfo(frozenset(c.name for c in catalogs)))
        if not catalogs:
            log.info("lavasrc: no source switched on (plugins.lavasrc.sources.spotify/applemusic/deezer)")


plugin = LavaSrcPlugin
