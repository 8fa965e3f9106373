"""`plugins.lavasrc`, with LavaSrc's keys (its plugin's SpotifyConfig, AppleMusicConfig, DeezerConfig, SourcesConfig)
plus the base URLs, cache and matching knobs lavalink_py adds (LavaSrc hard-codes those)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lavalink_py.config import ConfigError

ISRC_PATTERN = "%ISRC%"
QUERY_PATTERN = "%QUERY%"
DEFAULT_PROVIDERS = (f'ytsearch:"{ISRC_PATTERN}"', f"ytsearch:{QUERY_PATTERN}")


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
    sp_dc: str = ""  # not honoured (the web player's cookie, for lyrics and the anonymous token)
    country_code: str = "US"
    playlist_load_limit: int = 6  # pages of 100 tracks
    album_load_limit: int = 6  # pages of 50 tracks
    resolve_artists_in_search: bool = True
    local_files: bool = False
    prefer_anonymous_token: bool = False  # not honoured
    custom_token_endpoint: str = ""  # not honoured
    api_url: str = "https://api.spotify.com/v1"
    token_url: str = "https://accounts.spotify.com/api/token"


@dataclass(frozen=True, slots=True)
class AppleMusicConfig:
    country_code: str = "US"
    media_api_token: str = ""
    key_id: str = ""
    team_id: str = ""
    music_kit_key: str = ""
    playlist_load_limit: int = 6  # pages of 300 tracks (the API's `next` links)
    album_load_limit: int = 6
    api_url: str = "https://api.music.apple.com/v1"


@dataclass(frozen=True, slots=True)
class DeezerConfig:
    master_decryption_key: str = ""  # not honoured: tracks play through the mirror, not Deezer's own streams
    arl: str = ""  # not honoured, as above
    formats: tuple[str, ...] = ()
    api_url: str = "https://api.deezer.com"


@dataclass(frozen=True, slots=True)
class CacheConfig:
    ttl_seconds: float = 3600.0  # 0 turns the caches off
    max_entries: int = 2048  # per cache (service results, mirror lookups)


@dataclass(frozen=True, slots=True)
class MatchingConfig:
    duration_tolerance_ms: int = 7000  # a title match must be this close in length
    request_timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class LavaSrcConfig:
    providers: tuple[str, ...] = DEFAULT_PROVIDERS
    sources: SourcesConfig = field(default_factory=SourcesConfig)
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
    if config.spotify.sp_dc:
        out.append("plugins.lavasrc.spotify.spDc: not used (no lyrics or anonymous token here); ignored")
    if config.spotify.prefer_anonymous_token or config.spotify.custom_token_endpoint:
        out.append("plugins.lavasrc.spotify: anonymous tokens are not supported; clientId/clientSecret are used")
    if config.deezer.arl or config.deezer.master_decryption_key or config.deezer.formats:
        out.append("plugins.lavasrc.deezer: arl/masterDecryptionKey/formats not used; Deezer tracks play through "
                   "the providers' mirror")
    if config.sources.spotify and not (config.spotify.client_id and config.spotify.client_secret):
        out.append("plugins.lavasrc.spotify: clientId/clientSecret not set; Spotify loads will fail")
    if config.sources.applemusic and not config.applemusic.media_api_token and not config.applemusic.music_kit_key:
        out.append("plugins.lavasrc.applemusic: neither mediaAPIToken nor musicKitKey set; Apple Music loads will fail")
    return out


def check(config: LavaSrcConfig) -> None:
    """Refuse values that would misbehave at run time, naming the key (start-up stops, exit 2)."""
    where = "plugins.lavasrc"
    if not config.providers or any(not isinstance(p, str) or not p.strip() for p in config.providers):
        raise ConfigError(f"{where}.providers: expected a list of identifier templates, got {config.providers!r}")
    numbers = {
        "cache.ttlSeconds": (config.cache.ttl_seconds, 0), "cache.maxEntries": (config.cache.max_entries, 0),
        "matching.durationToleranceMs": (config.matching.duration_tolerance_ms, 0),
        "spotify.playlistLoadLimit": (config.spotify.playlist_load_limit, 1),
        "spotify.albumLoadLimit": (config.spotify.album_load_limit, 1),
        "applemusic.playlistLoadLimit": (config.applemusic.playlist_load_limit, 1),
        "applemusic.albumLoadLimit": (config.applemusic.album_load_limit, 1),
    }
    for key, (value, least) in numbers.items():
        if value < least:
            raise ConfigError(f"{where}.{key}: expected at least {least}, got {value!r}")
    if config.matching.request_timeout_seconds <= 0:
        raise ConfigError(f"{where}.matching.requestTimeoutSeconds: expected more than 0, "
                          f"got {config.matching.request_timeout_seconds!r}")
