"""Every setting, as frozen dataclasses mirroring `application.yml`.

Attribute names are snake_case with units; the YAML key is the camelCase/kebab-case Lavalink name (any relaxed
spelling binds, see schema.canonical). Defaults are Lavalink's (ServerConfig.kt, AudioSourcesConfig.kt, ...)
where it has one. Sections typed `X | None` are optional: None when absent from the file and the environment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from lavalink_py.config.errors import ConfigError
from lavalink_py.config.schema import (
    ByteSize,
    cidr_block,
    ip_address,
    label_name,
    non_empty,
    setting,
    url_path,
    yaml_key,
)

ResamplingQuality = Literal["LOW", "MEDIUM", "HIGH"]
RateLimitStrategy = Literal["RotateOnBan", "LoadBalance", "NanoSwitch", "RotatingNanoSwitch"]
LogFormat = Literal["json", "text"]
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF"]
BUILTIN_COLLECTORS = ("system", "runtime", "player", "track", "fallback", "http", "websocket")


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Http2Settings:
    enabled: bool = False  # accepted for compatibility; aiohttp serves HTTP/1.1


@dataclass(frozen=True, slots=True)
class ServerSettings:
    port: int = setting(2333, lo=0, hi=65535)
    address: str = setting("0.0.0.0", check=non_empty)
    http2: Http2Settings = Http2Settings()


@dataclass(frozen=True, slots=True)
class SourcesSettings:
    youtube: bool = True
    bandcamp: bool = True
    soundcloud: bool = True
    twitch: bool = True
    vimeo: bool = True
    nico: bool = False
    http: bool = True
    local: bool = False

    def enabled(self) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(self) if getattr(self, f.name))


@dataclass(frozen=True, slots=True)
class FiltersSettings:
    volume: bool = True
    equalizer: bool = True
    karaoke: bool = True
    timescale: bool = True
    tremolo: bool = True
    vibrato: bool = True
    distortion: bool = True
    rotation: bool = True
    channel_mix: bool = setting(True, key="channelMix")
    low_pass: bool = setting(True, key="lowPass")
    # Beyond Lavalink (docs/filters.md), switched the same way: refused in a PATCH and left out of /v4/info.
    high_pass: bool = setting(True, key="highPass")
    echo: bool = True
    chorus: bool = True
    phaser: bool = True
    compressor: bool = True
    loudness: bool = True

    def disabled(self) -> frozenset[str]:
        """Lavalink's names (as in /v4/info and player filter JSON) of the filters switched off."""
        return frozenset(yaml_key(f) for f in dataclasses.fields(self) if not getattr(self, f.name))


@dataclass(frozen=True, slots=True)
class RateLimitSettings:
    ip_blocks: tuple[str, ...] = setting((), each=cidr_block)
    excluded_ips: tuple[str, ...] = setting((), each=ip_address)
    strategy: RateLimitStrategy = "RotateOnBan"
    search_triggers_fail: bool = True
    retry_limit: int = setting(-1, lo=-1)  # -1 = lavaplayer's default, 0 = no limit


@dataclass(frozen=True, slots=True)
class YoutubeConfigSettings:
    email: str = ""
    password: str = ""


@dataclass(frozen=True, slots=True)
class HttpConfigSettings:
    proxy_host: str = ""
    proxy_port: int = setting(3128, lo=0, hi=65535)
    proxy_user: str = ""
    proxy_password: str = ""


@dataclass(frozen=True, slots=True)
class TimeoutsSettings:
    connect_timeout_ms: int = setting(3000, lo=0)
    connection_request_timeout_ms: int = setting(3000, lo=0)
    socket_timeout_ms: int = setting(3000, lo=0)


def _complexity(value: object) -> str | None:
    return None if isinstance(value, int) and 0 <= value <= 10 else "must be a libopus complexity, 0..10"


def _bandwidth(value: object) -> str | None:
    return None if value in ("superwideband", "wideband", "off") else "must be superwideband, wideband or off"


@dataclass(frozen=True, slots=True)
class OverloadPolicySettings:
    """lavalink_py only: when the transcoding workers fall behind, lower the Opus complexity before frames are lost
    (docs/architecture.md "Overload")."""

    enabled: bool = True  # false: always encode at opusEncodingQuality, frames are lost instead
    # Complexities stepped down through under load, below opusEncodingQuality (always the top level). 8 and 9 cost
    # what 10 does; 0 costs ~0.45x of 10 (BENCHMARKS.md "Overload").
    complexity_levels: tuple[int, ...] = setting((10, 7, 5, 0), each=_complexity)
    # The step after the lowest complexity: this Opus bitrate in b/s (Discord's default channel bitrate; ~0.75x the
    # encoder's cost at complexity 0). 0: no such step.
    reduced_bitrate: int = setting(64_000, lo=0, hi=510_000)
    # A last step: no Opus band above this (superwideband: 12 kHz; wideband: 8 kHz). It saves 5-7 % at 128 kb/s and
    # nothing at 64 kb/s (BENCHMARKS.md "Overload"), so off by default: for a node that sets reducedBitrate: 0.
    reduced_bandwidth: str = setting("off", check=_bandwidth)
    # An encoded stream holding less than this share of its frame buffer counts as behind.
    low_watermark: float = setting(0.5, lo=0, hi=1, lo_open=True)
    # Every encoded stream holds at least this share of its buffer: healthy, a step back up may follow.
    healthy_watermark: float = setting(0.7, lo=0, hi=1, lo_open=True)
    # Share of the encoded streams (at least one) that must be behind to step down.
    behind_share: float = setting(0.05, lo=0, hi=1)
    step_interval_ms: int = setting(1000, lo=0)  # at most one step down per this interval
    recover_after_ms: int = setting(30_000, lo=0)  # healthy this long: one step up (doubled after a relapse)
    check_interval_ms: int = setting(250, lo=20)  # how often the buffers are read

    def __post_init__(self) -> None:
        if self.low_watermark > self.healthy_watermark:
            raise ConfigError(
                "lavalink.server.overload: lowWatermark must not exceed healthyWatermark, got "
                f"{self.low_watermark} > {self.healthy_watermark}"
            )


@dataclass(frozen=True, slots=True)
class LavalinkServerSettings:
    # None: no client can authenticate (as in Lavalink); the loader warns.
    password: str | None = None
    sources: SourcesSettings = SourcesSettings()
    filters: FiltersSettings = FiltersSettings()
    non_allocating_frame_buffer: bool = False
    buffer_duration_ms: int = 400  # <= 0 disables the send buffer, as JDA-NAS does in Lavalink
    frame_buffer_duration_ms: int = setting(5000, lo=200)
    opus_encoding_quality: int = setting(10, lo=0, hi=10)
    resampling_quality: ResamplingQuality = "LOW"
    track_stuck_threshold_ms: int = setting(10000, lo=100)
    use_seek_ghosting: bool = True
    youtube_playlist_load_limit: int = setting(6, lo=1)
    player_update_interval_s: int = setting(5, key="playerUpdateInterval", lo=1)
    youtube_search_enabled: bool = True
    soundcloud_search_enabled: bool = True
    soundcloud_filter_out_preview_tracks: bool = False
    gc_warnings: bool = setting(True, key="gc-warnings")
    ratelimit: RateLimitSettings | None = None
    youtube_config: YoutubeConfigSettings | None = None
    http_config: HttpConfigSettings | None = None
    timeouts: TimeoutsSettings = TimeoutsSettings()
    # lavalink_py only: directories the `local` source may read from (symlinks resolved). Empty: any file the
    # process can read, as Lavalink's local source does.
    local_directories: tuple[str, ...] = setting((), key="localDirectories", each=non_empty)
    # lavalink_py only: players of the same live stream (isStream) with the same volume and filters share one
    # decode and encode (audio/shared.py). A player alone on its share changes volume/filters in place, as on an
    # unshared stream; one of several moves to the share of its new settings (a new connection when there is none).
    share_live_streams: bool = setting(True, key="shareLiveStreams")
    overload: OverloadPolicySettings = OverloadPolicySettings()
    # lavalink_py only (issue 11): voice worker processes hosting the players' voice connections (DAVE, RTP,
    # AEAD, UDP), fed one frame batch per worker per tick. 0: voice runs in the API process, as before. The
    # default stays 0 (not "cores - 1"): the voice tests all pass with workers on and clients see the same events,
    # positions and stats, but workers cost a small node what only a big one gets back. Measured (BENCHMARKS.md,
    # "Voice worker processes: what one player pays"): ~46 MiB resident per worker and the first player's first
    # packet ~0.3 s later (the worker's start), while in-process carries 500 DAVE players with none lost on one
    # core. Turn it on (1 per spare core) past a few hundred players, or when the API loop's jitter matters.
    voice_workers: int = setting(0, key="voiceWorkers", lo=0)


@dataclass(frozen=True, slots=True)
class PluginDeclaration:
    # Maven coordinates group:artifact:version; nothing is downloaded: start-up logs what stands in for it.
    dependency: str = setting(check=non_empty)
    repository: str | None = None
    snapshot: bool = False


@dataclass(frozen=True, slots=True)
class LavalinkSettings:
    server: LavalinkServerSettings = LavalinkServerSettings()
    plugins: tuple[PluginDeclaration, ...] = ()
    plugins_dir: str = "./plugins"  # Python plugins: `<name>.py` or `<name>/__init__.py` here (docs/plugins.md)
    default_plugin_repository: str = "https://maven.lavalink.dev/releases"
    default_plugin_snapshot_repository: str = "https://maven.lavalink.dev/snapshots"


@dataclass(frozen=True, slots=True)
class PrometheusAuthSettings:
    username: str = setting(check=non_empty)
    password: str = setting(check=non_empty)


@dataclass(frozen=True, slots=True)
class PrometheusSettings:
    enabled: bool = False
    endpoint: str = setting("/metrics", check=url_path)
    port: int | None = setting(None, lo=0, hi=65535)  # None: served on server.port
    auth: PrometheusAuthSettings | None = None  # None: the server password guards the endpoint


@dataclass(frozen=True, slots=True)
class CollectorSettings:
    enabled: bool = True
    # Costly collectors refresh a cached snapshot this often; cheap ones read live on scrape.
    collection_interval_s: float = setting(15.0, key="collection_interval", lo=0, lo_open=True)


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    prometheus: PrometheusSettings = PrometheusSettings()
    # Collector name (built-in: BUILTIN_COLLECTORS; or a custom one's) -> its settings; absent = defaults.
    collectors: Mapping[str, CollectorSettings] = setting(factory=_empty)
    # A collector slower than this on a scrape is skipped for that scrape and counted.
    collection_timeout_s: float = setting(0.5, key="collection_timeout", lo=0, lo_open=True)
    labels: Mapping[str, str] = setting(factory=_empty, names=label_name)  # constant labels on every sample
    custom: tuple[str, ...] = setting((), each=non_empty)  # dotted class paths or entry-point names
    # Seconds between the node's pings to each client WebSocket (lavalink_websocket_latency_seconds observes
    # their round trips); 0: no pings, as Lavalink sends none.
    websocket_ping_interval_s: float = setting(0.0, key="websocket_ping_interval", lo=0)

    def collector(self, name: str) -> CollectorSettings:
        return self.collectors.get(name, CollectorSettings())


@dataclass(frozen=True, slots=True)
class HealthThresholds:
    memory_percent: float = setting(90.0, lo=0, hi=100)
    disk_percent: float = setting(90.0, lo=0, hi=100)
    event_loop_lag_ms: float = setting(100.0, lo=0, lo_open=True)
    voice_failed_ratio: float = setting(0.5, lo=0, hi=1)  # share of voice connections that gave up


@dataclass(frozen=True, slots=True)
class HealthProbes:
    auth: bool = False  # False: /v4/ready and /v4/alive answer without the password


@dataclass(frozen=True, slots=True)
class HealthSettings:
    thresholds: HealthThresholds = HealthThresholds()
    probes: HealthProbes = HealthProbes()


@dataclass(frozen=True, slots=True)
class OtelSettings:
    enabled: bool = False
    endpoint: str | None = None  # required when enabled
    token: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class LogFileSettings:
    path: str | None = None  # a directory; the file inside is spring.log, as Spring Boot names it
    name: str | None = None  # a file; wins over path, as in Spring Boot


@dataclass(frozen=True, slots=True)
class RequestLoggingSettings:
    enabled: bool = True
    include_client_info: bool = False
    include_headers: bool = False
    include_query_string: bool = True
    include_payload: bool = True
    max_payload_length: int = setting(10000, lo=0)
    before_request: bool = False


@dataclass(frozen=True, slots=True)
class RollingPolicySettings:
    # RUF009 knows int is immutable but not the NewType; setting() is a dataclasses.field wrapper.
    max_file_size_bytes: ByteSize = setting(10 * 1024 * 1024, key="max-file-size", lo=1)  # noqa: RUF009
    max_history: int = setting(7, key="max-history", lo=0)  # rotated files kept


@dataclass(frozen=True, slots=True)
class LogbackSettings:
    rollingpolicy: RollingPolicySettings = RollingPolicySettings()


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    format: LogFormat = "text"
    # Logger name -> level; "root" is the root logger, "lavalink" also sets lavalink_py.
    level: Mapping[str, LogLevel] = setting(factory=_empty, env_key_sep=".")
    file: LogFileSettings = LogFileSettings()
    request: RequestLoggingSettings = RequestLoggingSettings()
    logback: LogbackSettings = LogbackSettings()


@dataclass(frozen=True, slots=True)
class SentrySettings:
    dsn: str = ""
    environment: str = ""
    tags: Mapping[str, str] = setting(factory=_empty)


@dataclass(frozen=True, slots=True)
class PersistenceSettings:
    """lavalink_py only: resumable sessions and their players survive a restart of the node."""

    enabled: bool = True
    # A SQLite file, relative to the working directory; on Kubernetes keep it on the pod's volume.
    path: str = setting("lavalink_py-sessions.sqlite3", check=non_empty)


@dataclass(frozen=True, slots=True)
class Settings:
    server: ServerSettings = ServerSettings()
    lavalink: LavalinkSettings = LavalinkSettings()
    metrics: MetricsSettings = MetricsSettings()
    health: HealthSettings = HealthSettings()
    otel: OtelSettings = OtelSettings()
    logging: LoggingSettings = LoggingSettings()
    sentry: SentrySettings = SentrySettings()
    persistence: PersistenceSettings = PersistenceSettings()
    # Per-plugin configuration, keyed by plugin name; each plugin binds its section onto its own typed config, and
    # `enabled: false` skips the plugin (docs/plugins.md).
    plugins: Mapping[str, Any] = setting(factory=_empty)
