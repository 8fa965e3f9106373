"""Binding YAML onto settings: key spellings, nesting, placeholders, unknown keys, and every kind of bad value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lavalink_py.config import ConfigError, load_settings, settings_from_dict
from lavalink_py.config.settings import CollectorSettings, PluginDeclaration, Settings


def bind(data: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    return settings_from_dict(data, environ).settings


class TestKeySpellings:
    @pytest.mark.parametrize(
        "key",
        ["frameBufferDurationMs", "frame-buffer-duration-ms", "frame_buffer_duration_ms", "FRAMEBUFFERDURATIONMS"],
    )
    def test_relaxed_spellings_bind_the_same_field(self, key: str) -> None:
        assert bind({"lavalink": {"server": {key: 750}}}).lavalink.server.frame_buffer_duration_ms == 750

    def test_gc_warnings_binds_in_camel_case_too(self) -> None:
        assert bind({"lavalink": {"server": {"gcWarnings": False}}}).lavalink.server.gc_warnings is False

    def test_dotted_keys_at_top_level(self) -> None:
        settings = bind({"server.port": 1234, "lavalink.server.password": "pw", "server.http2.enabled": True})
        assert (settings.server.port, settings.lavalink.server.password) == (1234, "pw")
        assert settings.server.http2.enabled is True

    def test_dotted_keys_inside_sections(self) -> None:
        settings = bind(
            {"logging": {"file.path": "/var/log/ll", "level.root": "WARN"}, "server": {"http2.enabled": True}}
        )
        assert settings.logging.file.path == "/var/log/ll"
        assert settings.logging.level == {"root": "WARN"}
        assert settings.server.http2.enabled is True

    def test_named_sections_take_dotted_and_nested_forms(self) -> None:
        settings = bind({
            "metrics": {"collectors": {"system": {"enabled": False}, "system.collection_interval": 4,
                                       "custom_one": None}},
            "metrics.collectors.http.enabled": False,
        })
        assert settings.metrics.collectors == {
            "system": CollectorSettings(enabled=False, collection_interval_s=4.0),
            "custom_one": CollectorSettings(),
            "http": CollectorSettings(enabled=False),
        }

    def test_nested_and_dotted_forms_merge(self) -> None:
        settings = bind({"server": {"port": 1}, "server.address": "127.0.0.1"})
        assert (settings.server.port, settings.server.address) == (1, "127.0.0.1")


class TestValues:
    def test_every_lavalink_server_override(self) -> None:
        server = bind({"lavalink": {"server": {
            "password": "pw", "sources": {"youtube": False, "local": True}, "filters": {"channelMix": False},
            "nonAllocatingFrameBuffer": True, "bufferDurationMs": 0, "frameBufferDurationMs": 200,
            "opusEncodingQuality": 0, "resamplingQuality": "high", "trackStuckThresholdMs": 100,
            "useSeekGhosting": False, "youtubePlaylistLoadLimit": 1, "playerUpdateInterval": 1,
            "youtubeSearchEnabled": False, "soundcloudSearchEnabled": False, "soundcloudFilterOutPreviewTracks": True,
            "gc-warnings": False, "timeouts": {"connectTimeoutMs": 1, "connectionRequestTimeoutMs": 2,
                                               "socketTimeoutMs": 3},
        }}}).lavalink.server
        assert (server.password, server.sources.youtube, server.sources.local) == ("pw", False, True)
        assert (server.filters.channel_mix, server.filters.low_pass) == (False, True)
        assert server.filters.disabled() == {"channelMix"}
        assert server.sources.enabled() == {"bandcamp", "soundcloud", "twitch", "vimeo", "http", "local"}
        assert (server.non_allocating_frame_buffer, server.buffer_duration_ms, server.frame_buffer_duration_ms) == (
            True, 0, 200)
        assert (server.opus_encoding_quality, server.resampling_quality, server.track_stuck_threshold_ms) == (
            0, "HIGH", 100)
        assert (server.use_seek_ghosting, server.youtube_playlist_load_limit, server.player_update_interval_s) == (
            False, 1, 1)
        assert (server.youtube_search_enabled, server.soundcloud_search_enabled) == (False, False)
        assert (server.soundcloud_filter_out_preview_tracks, server.gc_warnings) == (True, False)
        assert (server.timeouts.connect_timeout_ms, server.timeouts.connection_request_timeout_ms,
                server.timeouts.socket_timeout_ms) == (1, 2, 3)

    def test_optional_sections_appear_when_written(self) -> None:
        server = bind({"lavalink": {"server": {
            "ratelimit": {"ipBlocks": ["1.0.0.0/8", "2.0.0.0/8"], "excludedIps": ["1.0.0.1"],
                          "strategy": "loadbalance", "searchTriggersFail": False, "retryLimit": 3},
            "youtubeConfig": {"email": "a@b.c", "password": "x"},
            "httpConfig": {"proxyHost": "proxy", "proxyPort": 8080, "proxyUser": "u", "proxyPassword": "p"},
        }}}).lavalink.server
        assert server.ratelimit is not None
        assert server.ratelimit.ip_blocks == ("1.0.0.0/8", "2.0.0.0/8")
        assert server.ratelimit.excluded_ips == ("1.0.0.1",)
        assert (server.ratelimit.strategy, server.ratelimit.search_triggers_fail) == ("LoadBalance", False)
        assert server.ratelimit.retry_limit == 3
        assert server.youtube_config is not None and server.youtube_config.email == "a@b.c"
        assert server.http_config is not None
        assert (server.http_config.proxy_host, server.http_config.proxy_port) == ("proxy", 8080)

    def test_empty_optional_section_gets_its_defaults(self) -> None:
        ratelimit = bind({"lavalink": {"server": {"ratelimit": {}}}}).lavalink.server.ratelimit
        assert ratelimit is not None
        assert (ratelimit.strategy, ratelimit.retry_limit, ratelimit.ip_blocks) == ("RotateOnBan", -1, ())

    def test_plugin_declarations(self) -> None:
        lavalink = bind({"lavalink": {
            "plugins": [{"dependency": "dev.lavalink:x:1.0"}, {"dependency": "a:b:2", "repository": "https://r",
                                                               "snapshot": True}],
            "pluginsDir": "/opt/plugins", "defaultPluginRepository": "https://rel",
            "defaultPluginSnapshotRepository": "https://snap",
        }}).lavalink
        assert lavalink.plugins == (
            PluginDeclaration("dev.lavalink:x:1.0"),
            PluginDeclaration("a:b:2", "https://r", True),
        )
        assert (lavalink.plugins_dir, lavalink.default_plugin_repository) == ("/opt/plugins", "https://rel")
        assert lavalink.default_plugin_snapshot_repository == "https://snap"

    def test_metrics_and_observability_keys(self) -> None:
        settings = bind({
            "metrics": {
                "prometheus": {"enabled": True, "endpoint": "/m", "port": 9100,
                               "auth": {"username": "prom", "password": "secret"}},
                "collectors": {"system": {"enabled": False, "collection_interval": 2.5}, "http": {"enabled": False}},
                "collection_timeout": 0.25, "labels": {"environment": "prod", "datacenter": "fra1"},
                "custom": ["pkg.mod:Collector", "entry-name"],
            },
            "health": {"thresholds": {"memory_percent": 80, "disk_percent": 95.5, "event_loop_lag_ms": 50,
                                      "voice_failed_ratio": 0.25},
                       "probes": {"auth": True}},
            "otel": {"enabled": True, "endpoint": "https://otlp", "token": "t", "environment": "prod"},
            "sentry": {"dsn": "https://sentry", "environment": "prod", "tags": {"region": "eu"}},
            "plugins": {"lavasrc": {"spotify": {"clientId": "x"}, "providers": ["a", "b"]}},
        })
        prometheus = settings.metrics.prometheus
        assert (prometheus.enabled, prometheus.endpoint, prometheus.port) == (True, "/m", 9100)
        assert prometheus.auth is not None
        assert (prometheus.auth.username, prometheus.auth.password) == ("prom", "secret")
        assert settings.metrics.collectors == {
            "system": CollectorSettings(enabled=False, collection_interval_s=2.5),
            "http": CollectorSettings(enabled=False),
        }
        assert settings.metrics.collector("runtime") == CollectorSettings()
        assert settings.metrics.collection_timeout_s == 0.25
        assert settings.metrics.labels == {"environment": "prod", "datacenter": "fra1"}
        assert settings.metrics.custom == ("pkg.mod:Collector", "entry-name")
        assert (settings.health.thresholds.disk_percent, settings.health.thresholds.voice_failed_ratio) == (95.5, 0.25)
        assert settings.health.probes.auth is True
        assert (settings.otel.endpoint, settings.otel.token, settings.otel.environment) == ("https://otlp", "t", "prod")
        assert settings.sentry.tags == {"region": "eu"}
        assert settings.plugins == {"lavasrc": {"spotify": {"clientId": "x"}, "providers": ["a", "b"]}}

    def test_logging_keys(self) -> None:
        logging = bind({"logging": {
            "format": "JSON", "file": {"path": "/logs", "name": "/logs/ll.log"},
            "level": {"root": "warn", "lavalink": "debug", "org": {"example": "TRACE"}, "quiet": False},
            "request": {"enabled": False, "includeClientInfo": True, "includeHeaders": True,
                        "includeQueryString": False, "includePayload": False, "maxPayloadLength": 5,
                        "beforeRequest": True},
            "logback": {"rollingpolicy": {"max-file-size": "512KB", "max-history": 3}},
        }}).logging
        assert logging.format == "json"
        assert (logging.file.path, logging.file.name) == ("/logs", "/logs/ll.log")
        # YAML reads a bare `off` as false; Spring treats that as OFF, and so do we.
        assert logging.level == {"root": "WARN", "lavalink": "DEBUG", "org.example": "TRACE", "quiet": "OFF"}
        request = logging.request
        assert (request.enabled, request.include_client_info, request.include_headers) == (False, True, True)
        assert (request.include_query_string, request.include_payload) == (False, False)
        assert (request.max_payload_length, request.before_request) == (5, True)
        assert logging.logback.rollingpolicy.max_file_size_bytes == 512 * 1024
        assert logging.logback.rollingpolicy.max_history == 3

    @pytest.mark.parametrize(("text", "expected"), [("1GB", 1 << 30), ("10mb", 10 << 20), ("300", 300), ("7B", 7)])
    def test_sizes(self, text: str, expected: int) -> None:
        policy = bind({"logging.logback.rollingpolicy.max-file-size": text}).logging.logback.rollingpolicy
        assert policy.max_file_size_bytes == expected

    def test_scalars_become_strings_where_text_is_expected(self) -> None:
        assert bind({"lavalink.server.password": 12345}).lavalink.server.password == "12345"

    @pytest.mark.parametrize(("raw", "expected"), [("yes", True), ("OFF", False), ("True", True), ("0", False)])
    def test_booleans_written_as_text(self, raw: str, expected: bool) -> None:
        assert bind({"metrics.prometheus.enabled": raw}).metrics.prometheus.enabled is expected

    def test_null_keeps_the_default(self) -> None:
        settings = bind({"server": {"port": None}, "lavalink": {"plugins": None, "server": {"ratelimit": None}}})
        assert (settings.server.port, settings.lavalink.plugins, settings.lavalink.server.ratelimit) == (2333, (), None)

    def test_string_list_may_be_comma_separated(self) -> None:
        settings = bind({"lavalink.server.ratelimit.ipBlocks": "1.0.0.0/8, 2.0.0.0/8"})
        assert settings.lavalink.server.ratelimit is not None
        assert settings.lavalink.server.ratelimit.ip_blocks == ("1.0.0.0/8", "2.0.0.0/8")


class TestPlaceholders:
    def test_variable_and_default(self) -> None:
        settings = bind(
            {"lavalink": {"server": {"password": "${LL_PASSWORD}"}}, "server": {"address": "${LL_ADDR:127.0.0.1}"},
             "sentry": {"dsn": "https://${SENTRY_HOST:sentry.io}/${SENTRY_PROJECT:1}"}},
            {"LL_PASSWORD": "s3cret", "SENTRY_HOST": "example.org"},
        )
        assert settings.lavalink.server.password == "s3cret"
        assert settings.server.address == "127.0.0.1"
        assert settings.sentry.dsn == "https://example.org/1"

    def test_placeholder_value_is_converted_by_type(self) -> None:
        assert bind({"server": {"port": "${PORT:8080}"}}).server.port == 8080
        with pytest.raises(ConfigError, match=r"^server\.port: expected an integer from 0 to 65535, got 'x'$"):
            bind({"server": {"port": "${PORT}"}}, {"PORT": "x"})

    def test_placeholders_in_lists_plugin_config_and_level_maps(self) -> None:
        settings = bind(
            {"lavalink": {"plugins": [{"dependency": "${DEP}"}]}, "plugins": {"p": {"token": "${TOKEN:none}"}},
             "logging": {"level": {"lavalink": "${LEVEL:INFO}"}}},
            {"DEP": "a:b:1", "LEVEL": "DEBUG"},
        )
        assert settings.lavalink.plugins[0].dependency == "a:b:1"
        assert settings.plugins == {"p": {"token": "none"}}
        assert settings.logging.level == {"lavalink": "DEBUG"}

    def test_missing_variable_without_default_names_the_key(self) -> None:
        with pytest.raises(ConfigError) as caught:
            bind({"lavalink": {"server": {"password": "${LL_PASSWORD}"}}})
        assert str(caught.value) == (
            "lavalink.server.password: ${LL_PASSWORD} needs environment variable 'LL_PASSWORD', which is not set"
        )

    def test_missing_variable_inside_a_list_names_the_item(self) -> None:
        with pytest.raises(ConfigError, match=r"^lavalink\.server\.ratelimit\.ipBlocks\[1\]: \$\{BLOCK\} needs"):
            bind({"lavalink.server.ratelimit.ipBlocks": ["1.0.0.0/8", "${BLOCK}"]})

    def test_placeholders_from_a_file(self, write_yaml: Callable[[str], Path]) -> None:
        path = write_yaml('lavalink:\n  server:\n    password: "${LAVALINK_PW:fallback}"\n')
        assert load_settings(path, {}).settings.lavalink.server.password == "fallback"
        assert load_settings(path, {"LAVALINK_PW": "from-env"}).settings.lavalink.server.password == "from-env"


class TestUnknownKeys:
    def test_each_unknown_key_is_one_warning_with_its_full_path(self) -> None:
        loaded = settings_from_dict({
            "server": {"port": 1, "error": {"include-message": "ALWAYS"}},
            "lavalink": {"server": {"password": "x", "sources": {"spotify": True}, "filters": {"reverb": True}}},
            "metrics": {"collectors": {"gpu": {"enabled": True}}},  # a custom collector's name: fine
            "spring.application.name": "Lavalink",
        })
        assert loaded.warnings == [
            "server.error: unknown key, ignored",
            "lavalink.server.sources.spotify: unknown key, ignored",
            "lavalink.server.filters.reverb: unknown key, ignored",
            "spring.application.name: unknown key, ignored",
        ]
        assert loaded.settings.server.port == 1

    def test_unknown_key_inside_a_named_section(self) -> None:
        loaded = settings_from_dict({"lavalink.server.password": "x", "metrics.collectors.system.interval": 3})
        assert loaded.warnings == ["metrics.collectors.system.interval: unknown key, ignored"]

    def test_unknown_key_inside_a_plugin_declaration(self) -> None:
        loaded = settings_from_dict({"lavalink.server.password": "x", "lavalink": {"plugins": [
            {"dependency": "a:b:1", "checksum": "abc"}]}})
        assert loaded.warnings == ["lavalink.plugins[0].checksum: unknown key, ignored"]

    def test_free_form_plugin_config_gives_no_warnings(self) -> None:
        loaded = settings_from_dict({"lavalink.server.password": "x", "plugins": {"anything": {"goes": {"here": 1}}}})
        assert loaded.warnings == []

    def test_a_key_below_a_value_is_a_bad_value_not_an_unknown_key(self) -> None:
        expected = r"^server\.port: expected an integer from 0 to 65535, got \{'value': 1\}$"
        with pytest.raises(ConfigError, match=expected):
            settings_from_dict({"server": {"port.value": 1}})


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"server": {"port": "abc"}}, "server.port: expected an integer from 0 to 65535, got 'abc'"),
    ({"server": {"port": 70000}}, "server.port: expected an integer from 0 to 65535, got 70000"),
    ({"server": {"port": True}}, "server.port: expected an integer from 0 to 65535, got True"),
    ({"server": {"port": 1.5}}, "server.port: expected an integer from 0 to 65535, got 1.5"),
    ({"server": {"address": " "}}, "server.address: expected a non-empty string, got ' '"),
    ({"server": {"address": ["a"]}}, "server.address: expected a string, got ['a']"),
    ({"server": 5}, "server: expected a mapping of settings, got 5"),
    ({"lavalink": {"server": {"sources": {"local": "maybe"}}}},
     "lavalink.server.sources.local: expected true or false, got 'maybe'"),
    ({"lavalink": {"server": {"filters": {"lowPass": 1}}}},
     "lavalink.server.filters.lowPass: expected true or false, got 1"),
    ({"lavalink": {"server": {"opusEncodingQuality": 11}}},
     "lavalink.server.opusEncodingQuality: expected an integer from 0 to 10, got 11"),
    ({"lavalink": {"server": {"frame-buffer-duration-ms": 100}}},
     "lavalink.server.frame-buffer-duration-ms: expected an integer >= 200, got 100"),
    ({"lavalink": {"server": {"trackStuckThresholdMs": 10}}},
     "lavalink.server.trackStuckThresholdMs: expected an integer >= 100, got 10"),
    ({"lavalink": {"server": {"resamplingQuality": "ULTRA"}}},
     "lavalink.server.resamplingQuality: expected one of LOW, MEDIUM, HIGH, got 'ULTRA'"),
    ({"lavalink": {"server": {"playerUpdateInterval": 0}}},
     "lavalink.server.playerUpdateInterval: expected an integer >= 1, got 0"),
    ({"lavalink": {"server": {"youtubePlaylistLoadLimit": 0}}},
     "lavalink.server.youtubePlaylistLoadLimit: expected an integer >= 1, got 0"),
    ({"lavalink": {"server": {"ratelimit": {"ipBlocks": ["nope"]}}}},
     "lavalink.server.ratelimit.ipBlocks[0]: expected an IP block in CIDR notation (1.2.3.0/24, 2001:db8::/48), "
     "got 'nope'"),
    ({"lavalink": {"server": {"ratelimit": {"excludedIps": ["1.2.3.4", "1.2.3.0/24"]}}}},
     "lavalink.server.ratelimit.excludedIps[1]: expected an IP address, got '1.2.3.0/24'"),
    ({"lavalink": {"server": {"ratelimit": {"strategy": "Random"}}}},
     "lavalink.server.ratelimit.strategy: expected one of RotateOnBan, LoadBalance, NanoSwitch, RotatingNanoSwitch, "
     "got 'Random'"),
    ({"lavalink": {"server": {"ratelimit": {"retryLimit": -2}}}},
     "lavalink.server.ratelimit.retryLimit: expected an integer >= -1, got -2"),
    ({"lavalink": {"server": {"ratelimit": {"ipBlocks": {"a": 1}}}}},
     "lavalink.server.ratelimit.ipBlocks: expected a list, got {'a': 1}"),
    ({"lavalink": {"server": {"httpConfig": {"proxyPort": -1}}}},
     "lavalink.server.httpConfig.proxyPort: expected an integer from 0 to 65535, got -1"),
    ({"lavalink": {"server": {"timeouts": {"socketTimeoutMs": -1}}}},
     "lavalink.server.timeouts.socketTimeoutMs: expected an integer >= 0, got -1"),
    ({"lavalink": {"plugins": [{"repository": "https://r"}]}}, "lavalink.plugins[0].dependency: required"),
    ({"lavalink": {"plugins": ["a:b:1"]}}, "lavalink.plugins[0]: expected a mapping of settings, got 'a:b:1'"),
    ({"lavalink": {"plugins": "a:b:1"}}, "lavalink.plugins: expected a list, got 'a:b:1'"),
    ({"metrics": {"prometheus": {"endpoint": "metrics"}}},
     "metrics.prometheus.endpoint: expected a path starting with '/', got 'metrics'"),
    ({"metrics": {"prometheus": {"port": 65536}}},
     "metrics.prometheus.port: expected an integer from 0 to 65535, got 65536"),
    ({"metrics": {"prometheus": {"port": 2333}}},
     "metrics.prometheus.port: expected a port other than server.port, got 2333"),
    ({"metrics": {"prometheus": {"auth": {"username": "prom"}}}}, "metrics.prometheus.auth.password: required"),
    ({"metrics": {"collection_timeout": 0}}, "metrics.collection_timeout: expected a number > 0, got 0"),
    ({"metrics": {"collectors": ["system"]}},
     "metrics.collectors: expected a mapping of names to values, got ['system']"),
    ({"metrics": {"collectors": {"system": False}}},
     "metrics.collectors.system: expected a mapping of settings, got False"),
    ({"health": {"thresholds": {"voice_failed_ratio": 1.5}}},
     "health.thresholds.voice_failed_ratio: expected a number from 0 to 1, got 1.5"),
    ({"metrics": {"collectors": {"system": {"collection_interval": "soon"}}}},
     "metrics.collectors.system.collection_interval: expected a number > 0, got 'soon'"),
    ({"metrics": {"labels": {"data-center": "x"}}},
     "metrics.labels.data-center: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __), "
     "got 'data-center'"),
    ({"metrics": {"labels": {"env": ["prod"]}}}, "metrics.labels.env: expected a string, got ['prod']"),
    ({"metrics": {"custom": [""]}}, "metrics.custom[0]: expected a non-empty string, got ''"),
    ({"health": {"thresholds": {"memory_percent": 150}}},
     "health.thresholds.memory_percent: expected a number from 0 to 100, got 150"),
    ({"health": {"thresholds": {"event_loop_lag_ms": "nan"}}},
     "health.thresholds.event_loop_lag_ms: expected a number > 0, got 'nan'"),
    ({"health": {"probes": {"auth": "sometimes"}}}, "health.probes.auth: expected true or false, got 'sometimes'"),
    ({"otel": {"enabled": True}}, "otel.endpoint: required when otel.enabled is true"),
    ({"logging": {"format": "xml"}}, "logging.format: expected one of json, text, got 'xml'"),
    ({"logging": {"level": {"root": "LOUD"}}},
     "logging.level.root: expected one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, got 'LOUD'"),
    ({"logging": {"level": ["INFO"]}}, "logging.level: expected a mapping of names to values, got ['INFO']"),
    ({"logging": {"logback": {"rollingpolicy": {"max-file-size": "1 parsec"}}}},
     "logging.logback.rollingpolicy.max-file-size: expected a size such as 10MB, 1GB, 512KB or a number of bytes, "
     "got '1 parsec'"),
    ({"logging": {"logback": {"rollingpolicy": {"max-file-size": 0}}}},
     "logging.logback.rollingpolicy.max-file-size: expected a size >= 1, got 0"),
    ({"logging": {"logback": {"rollingpolicy": {"max-history": -1}}}},
     "logging.logback.rollingpolicy.max-history: expected an integer >= 0, got -1"),
    ({"logging": {"request": {"maxPayloadLength": "long"}}},
     "logging.request.maxPayloadLength: expected an integer >= 0, got 'long'"),
    ({"sentry": {"tags": "a=b"}}, "sentry.tags: expected a mapping of names to values, got 'a=b'"),
    ({"plugins": ["lavasrc"]}, "plugins: expected a mapping, got ['lavasrc']"),
]


@pytest.mark.parametrize(("data", "message"), BAD_VALUES, ids=[message.split(":")[0] for _, message in BAD_VALUES])
def test_bad_value_names_the_key_and_the_expectation(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        bind(data)
    assert str(caught.value) == message


def test_bad_value_in_a_file_names_the_key(write_yaml: Callable[[str], Path]) -> None:
    path = write_yaml("lavalink:\n  server:\n    bufferDurationMs: soon\n")
    with pytest.raises(ConfigError, match=r"^lavalink\.server\.bufferDurationMs: expected an integer, got 'soon'$"):
        load_settings(path, {})


def test_the_overload_section_binds_and_checks_its_watermarks() -> None:
    loaded = settings_from_dict(
        {"lavalink.server.password": "x", "lavalink.server.overload": {"complexityLevels": [9, 4], "lowWatermark": 0.3}}
    )
    overload = loaded.settings.lavalink.server.overload
    assert (overload.complexity_levels, overload.low_watermark, overload.enabled) == ((9, 4), 0.3, True)
    with pytest.raises(ConfigError, match=r"complexity_levels|complexityLevels\[0\]"):
        settings_from_dict({"lavalink.server.overload.complexityLevels": [11]})
    with pytest.raises(ConfigError, match=r"lowWatermark must not exceed healthyWatermark"):
        settings_from_dict({"lavalink.server.overload": {"lowWatermark": 0.9, "healthyWatermark": 0.5}})


def test_the_overload_ladders_bitrate_and_band_steps_bind_and_can_be_turned_off() -> None:
    from lavalink_py.app import engine_settings
    from lavalink_py.audio.overload import EncoderLevel

    default = engine_settings(settings_from_dict({"lavalink.server.password": "x"}).settings).overload
    assert default.ladder(10, 128_000)[-2:] == (EncoderLevel(0, 128_000), EncoderLevel(0, 64_000))
    off = settings_from_dict({"lavalink.server.overload": {"reducedBitrate": 0, "complexityLevels": [5]}})
    assert engine_settings(off.settings).overload.ladder(10, 128_000) == (EncoderLevel(10), EncoderLevel(5))
    band = settings_from_dict({"lavalink.server.overload": {"reducedBandwidth": "superwideband"}})
    assert engine_settings(band.settings).overload.ladder(10, 128_000)[-1] == EncoderLevel(0, 64_000, "superwideband")
    with pytest.raises(ConfigError, match=r"reducedBandwidth|reduced_bandwidth"):
        settings_from_dict({"lavalink.server.overload.reducedBandwidth": "narrowband"})
