"""`plugins.lavasrc`, with LavaSrc's keys (its plugin's SpotifyConfig, AppleMusicConfig, DeezerConfig, SourcesConfig,
LyricsSourcesConfig) plus the base URLs, cache and matching knobs lavalink_py adds (LavaSrc hard-codes those).

Ranges are declared on the fields (`setting(lo=...)`): the plugin context's binder refuses a value out of range
naming its key, as it does for the node's own settings (start-up stops, exit 2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lavalink_py.plugins.api import non_empty, setting

ISRC_PATTERN = "%ISRC%"
QUERY_PATTERN = "%QUERY%"
DEFAULT_PROVIDERS = (f'ytsearch:"{ISRC_PATTERN}"', f"ytsearch:{QUERY_PATTERN}")


def _some(templates: tuple[str, ...]) -> str | None:
    return None if templates else "a list of identifier templates"


@dataclass(frozen=True, slots=True)
class SourcesConfig:
    spotify: bool = False
    applemusic: bool = False
    deezer: bool = False
    # LavaSrc's other sources: accepted so a Java config binds, refused with a warning when switched on.
    yandexmusic: bool = False
    flowerytts: bool = False
    youtube: bool = False
    vkmusic: bool = False
    tidal: bool = False
    qobuz: bool = False
    ytdlp: bool = False
    jiosaavn: bool = False


@dataclass(frozen=True, slots=True)
class SpotifyConfig:
    client_id: str = ""
    client_secret: str = ""
    sp_dc: str = ""  # the web player's cookie: its account token reads lyrics (lyricsSources.spotify)
    country_code: str = "US"
    playlist_load_limit: int = setting(6, lo=1)  # pages of 100 tracks
    album_load_limit: int = setting(6, lo=1)  # pages of 50 tracks
    resolve_artists_in_search: bool = True
    local_files: bool = False
    prefer_anonymous_token: bool = False  # not honoured
    custom_token_endpoint: str = ""  # as LavaSrc: replaces the web player's token URL (the spDc token for lyrics)
    api_url: str = "https://api.spotify.com/v1"
    token_url: str = "https://accounts.spotify.com/api/token"
    # lavalink_py's: the web player's token endpoint (LavaSrc adds a TOTP it scrapes from Spotify's scripts; not
    # done here, so customTokenEndpoint is the reliable way) and the client API serving color-lyrics.
    web_token_url: str = "https://open.spotify.com/api/token?reason=init&productType=web-player"
    client_api_url: str = "https://spclient.wg.spotify.com"


@dataclass(frozen=True, slots=True)
class AppleMusicConfig:
    country_code: str = "US"
    media_api_token: str = ""
    key_id: str = ""
    team_id: str = ""
    music_kit_key: str = ""
    playlist_load_limit: int = setting(6, lo=1)  # pages of 300 tracks (the API's `next` links)
    album_load_limit: int = setting(6, lo=1)
    api_url: str = "https://api.music.apple.com/v1"


@dataclass(frozen=True, slots=True)
class DeezerConfig:
    master_decryption_key: str = ""  # not honoured: tracks play through the mirror, not Deezer's own streams
    arl: str = ""  # the account cookie: its session reads lyrics (lyricsSources.deezer); not used for streams
    formats: tuple[str, ...] = ()
    api_url: str = "https://api.deezer.com"
    private_api_url: str = "https://www.deezer.com/ajax/gw-light.php"  # lavalink_py's: the lyrics' gateway


@dataclass(frozen=True, slots=True)
class LyricsSourcesConfig:
    """LavaSrc's `lyrics-sources`: which services also answer LavaLyrics (the lavalyrics-plugin)."""

    spotify: bool = False
    deezer: bool = False
    # LavaSrc's others: accepted so a Java config binds, a warning when on.
    youtube: bool = False
    yandex_music: bool = False
    vk_music: bool = False
    lrc_lib: bool = False  # LRCLIB is plugins.lavalyrics' own provider here (`lrclib` in its sources)


@dataclass(frozen=True, slots=True)
class CacheConfig:
    ttl_seconds: float = setting(3600.0, lo=0)  # 0 turns the caches off
    max_entries: int = setting(2048, lo=0)  # per cache (service results, mirror lookups)


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    duration_tolerance_ms: int = setting(7000, lo=0)  # a title match must be this close in length
    request_timeout_seconds: float = setting(10.0, lo=0, lo_open=True)


@dataclass(frozen=True, slots=True)
class LavaSrcConfig:
    providers: tuple[str, ...] = setting(DEFAULT_PROVIDERS, check=_some, each=non_empty)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    lyrics_sources: LyricsSourcesConfig = field(default_factory=LyricsSourcesConfig)
    spotify: SpotifyConfig = field(default_factory=SpotifyConfig)
    applemusic: AppleMusicConfig = field(default_factory=AppleMusicConfig)
    deezer: DeezerConfig = field(default_factory=DeezerConfig)
    cache: CacheConfig = field(default_factory=CacheConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)


UNSUPPORTED_SOURCES = ("yandexmusic", "flowerytts", "youtube", "vkmusic", "tidal", "qobuz", "ytdlp", "jiosaavn")


def warnings(config: LavaSrcConfig) -> list[str]:
    """One line per key that binds but that this plugin does not honour."""
    out = [
        f"plugins.lavasrc.sources.{name}: this source is not part of lavalink_py's lavasrc plugin; ignored"
        for name in UNSUPPORTED_SOURCES
        if getattr(config.sources, name)
    ]
    out += [
        f"plugins.lavasrc.lyricsSources.{name}: lyrics from this service are not part of lavalink_py's lavasrc "
        "plugin; ignored"
        for name in ("youtube", "yandex_music", "vk_music") if getattr(config.lyrics_sources, name)
    ]
    if config.lyrics_sources.lrc_lib:
        out.append("plugins.lavasrc.lyricsSources.lrcLib: LRCLIB is plugins.lavalyrics' own provider here (`lrclib` "
                   "in plugins.lavalyrics.sources); ignored")
    if config.lyrics_sources.spotify and not config.spotify.sp_dc:
        out.append("plugins.lavasrc.lyricsSources.spotify: spotify.spDc not set; Spotify lyrics will fail")
    if config.lyrics_sources.deezer and not config.deezer.arl:
        out.append("plugins.lavasrc.lyricsSources.deezer: deezer.arl not set; Deezer lyrics will fail")
    if config.spotify.prefer_anonymous_token:
        out.append("plugins.lavasrc.spotify.preferAnonymousToken: not supported; clientId/clientSecret are used")
    if config.deezer.master_decryption_key or config.deezer.formats:
        out.append("plugins.lavasrc.deezer: masterDecryptionKey/formats not used; Deezer tracks play through "
                   "the providers' mirror")
    if (config.sources.spotify or config.lyrics_sources.spotify) and not (
            config.spotify.client_id and config.spotify.client_secret):
        out.append("plugins.lavasrc.spotify: clientId/clientSecret not set; Spotify loads will fail")
    if config.sources.applemusic and not config.applemusic.media_api_token and not config.applemusic.music_kit_key:
        out.append("plugins.lavasrc.applemusic: neither mediaAPIToken nor musicKitKey set; Apple Music loads will fail")
    return out
