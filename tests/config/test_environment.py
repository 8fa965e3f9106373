"""Environment overrides, Spring relaxed style: names, precedence, conversion and errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lavalink_py.config import ConfigError, load_settings, settings_from_dict
from lavalink_py.config.binder import Collected
from lavalink_py.config.environment import apply_environment
from lavalink_py.config.settings import CollectorSettings, PluginDeclaration, Settings

# Every variable Lavalink's docs list (docs/configuration/index.md and config/environment-variables.md), except
# LAVALINK_SERVER_RATELIMIT_EXCLUDE_IPS and ..._SEARCH_TRIGGERS_FAIK: typos there that Lavalink ignores too.
_DOCUMENTED_TEXT = """
SERVER_PORT SERVER_ADDRESS SERVER_HTTP2_ENABLED
LAVALINK_PLUGINS_0_DEPENDENCY LAVALINK_PLUGINS_0_REPOSITORY LAVALINK_PLUGINS_0_SNAPSHOT
LAVALINK_PLUGINS_1_DEPENDENCY LAVALINK_PLUGINS_1_REPOSITORY LAVALINK_PLUGINS_1_SNAPSHOT
LAVALINK_PLUGINS_DIR LAVALINK_DEFAULT_PLUGIN_REPOSITORY LAVALINK_DEFAULT_PLUGIN_SNAPSHOT_REPOSITORY
LAVALINK_SERVER_PASSWORD LAVALINK_SERVER_SOURCES_YOUTUBE LAVALINK_SERVER_SOURCES_BANDCAMP
LAVALINK_SERVER_SOURCES_SOUNDCLOUD LAVALINK_SERVER_SOURCES_TWITCH LAVALINK_SERVER_SOURCES_VIMEO
LAVALINK_SERVER_SOURCES_NICO LAVALINK_SERVER_SOURCES_HTTP LAVALINK_SERVER_SOURCES_LOCAL
LAVALINK_SERVER_FILTERS_VOLUME LAVALINK_SERVER_FILTERS_EQUALIZER LAVALINK_SERVER_FILTERS_KARAOKE
LAVALINK_SERVER_FILTERS_TIMESCALE LAVALINK_SERVER_FILTERS_TREMOLO LAVALINK_SERVER_FILTERS_VIBRATO
LAVALINK_SERVER_FILTERS_DISTORTION LAVALINK_SERVER_FILTERS_ROTATION LAVALINK_SERVER_FILTERS_CHANNEL_MIX
LAVALINK_SERVER_FILTERS_LOW_PASS
LAVALINK_SERVER_NON_ALLOCATING_FRAME_BUFFER LAVALINK_SERVER_BUFFER_DURATION_MS LAVALINK_SERVER_FRAME_BUFFER_DURATION_MS
LAVALINK_SERVER_OPUS_ENCODING_QUALITY LAVALINK_SERVER_RESAMPLING_QUALITY LAVALINK_SERVER_TRACK_STUCK_THRESHOLD_MS
LAVALINK_SERVER_USE_SEEK_GHOSTING LAVALINK_SERVER_PLAYER_UPDATE_INTERVAL LAVALINK_SERVER_YOUTUBE_PLAYLIST_LOAD_LIMIT
LAVALINK_SERVER_YOUTUBE_SEARCH_ENABLED LAVALINK_SERVER_SOUNDCLOUD_SEARCH_ENABLED
LAVALINK_SERVER_SOUNDCLOUD_FILTER_OUT_PREVIEW_TRACKS LAVALINK_SERVER_GC_WARNINGS
LAVALINK_SERVER_RATELIMIT_IP_BLOCKS LAVALINK_SERVER_RATELIMIT_STRATEGY LAVALINK_SERVER_RATELIMIT_RETRY_LIMIT
LAVALINK_SERVER_YOUTUBE_CONFIG_EMAIL LAVALINK_SERVER_YOUTUBE_CONFIG_PASSWORD
LAVALINK_SERVER_HTTP_CONFIG_PROXY_HOST LAVALINK_SERVER_HTTP_CONFIG_PROXY_PORT LAVALINK_SERVER_HTTP_CONFIG_PROXY_USER
LAVALINK_SERVER_HTTP_CONFIG_PROXY_PASSWORD
LAVALINK_SERVER_TIMEOUTS_CONNECT_TIMEOUT_MS LAVALINK_SERVER_TIMEOUTS_CONNECTION_REQUEST_TIMEOUT_MS
LAVALINK_SERVER_TIMEOUTS_SOCKET_TIMEOUT_MS
METRICS_PROMETHEUS_ENABLED METRICS_PROMETHEUS_ENDPOINT SENTRY_DSN SENTRY_ENVIRONMENT SENTRY_TAGS_SOME_KEY
SENTRY_TAGS_ANOTHER_KEY LOGGING_FILE_PATH LOGGING_LEVEL_ROOT LOGGING_LEVEL_LAVALINK
LOGGING_REQUEST_ENABLED LOGGING_REQUEST_INCLUDE_CLIENT_INFO LOGGING_REQUEST_INCLUDE_HEADERS
LOGGING_REQUEST_INCLUDE_QUERY_STRING LOGGING_REQUEST_INCLUDE_PAYLOAD LOGGING_REQUEST_MAX_PAYLOAD_LENGTH
LOGGING_REQUEST_BEFORE_REQUEST LOGGING_LOGBACK_ROLLINGPOLICY_MAX_FILE_SIZE LOGGING_LOGBACK_ROLLINGPOLICY_MAX_HISTORY
"""
DOCUMENTED = _DOCUMENTED_TEXT.split()


@pytest.mark.parametrize("var", DOCUMENTED)
def test_every_documented_variable_names_a_setting(var: str) -> None:
    collected = Collected()
    apply_environment(Settings, {var: "x"}, collected)
    assert collected.entries, f"{var} names no setting"


def test_unrelated_variables_are_ignored() -> None:
    loaded = settings_from_dict({}, {"PATH": "/bin", "HOME": "/root", "SERVER": "x", "LAVALINK_SERVER_FOO": "1"})
    assert loaded.settings == settings_from_dict({}).settings


@pytest.mark.parametrize("var", ["LAVALINK_SERVER_BUFFERDURATIONMS", "LAVALINK_SERVER_BUFFER_DURATION_MS",
                                 "lavalink_server_bufferDurationMs"])
def test_spring_form_and_documented_form_both_bind(var: str) -> None:
    assert settings_from_dict({}, {var: "120"}).settings.lavalink.server.buffer_duration_ms == 120


def test_values_are_converted_by_field_type() -> None:
    settings = settings_from_dict({}, {
        "SERVER_PORT": "8080",
        "SERVER_HTTP2_ENABLED": "true",
        "LAVALINK_SERVER_PASSWORD": "from-env",
        "LAVALINK_SERVER_SOURCES_LOCAL": "TRUE",
        "LAVALINK_SERVER_FILTERS_CHANNEL_MIX": "false",
        "LAVALINK_SERVER_RESAMPLING_QUALITY": "medium",
        "LAVALINK_SERVER_GC_WARNINGS": "off",
        "METRICS_PROMETHEUS_ENABLED": "true",
        "METRICS_PROMETHEUS_PORT": "9100",
        "METRICS_COLLECTION_TIMEOUT": "0.2",
        "METRICS_COLLECTORS_SYSTEM_COLLECTION_INTERVAL": "3",
        "METRICS_CUSTOM": "a.b:C, d.e:F",
        "HEALTH_THRESHOLDS_MEMORY_PERCENT": "75.5",
        "LOGGING_FORMAT": "json",
        "LOGGING_LOGBACK_ROLLINGPOLICY_MAX_FILE_SIZE": "5MB",
    }).settings
    assert (settings.server.port, settings.server.http2.enabled) == (8080, True)
    server = settings.lavalink.server
    assert (server.password, server.sources.local, server.filters.channel_mix) == ("from-env", True, False)
    assert (server.resampling_quality, server.gc_warnings) == ("MEDIUM", False)
    assert (settings.metrics.prometheus.enabled, settings.metrics.prometheus.port) == (True, 9100)
    assert settings.metrics.collection_timeout_s == 0.2
    assert settings.metrics.collector("system").collection_interval_s == 3.0
    assert settings.metrics.custom == ("a.b:C", "d.e:F")
    assert settings.health.thresholds.memory_percent == 75.5
    assert settings.logging.format == "json"
    assert settings.logging.logback.rollingpolicy.max_file_size_bytes == 5 << 20


def test_environment_wins_over_the_file(write_yaml: Callable[[str], Path]) -> None:
    path = write_yaml("server:\n  port: 1111\nlavalink:\n  server:\n    frame-buffer-duration-ms: 300\n")
    settings = load_settings(path, {"SERVER_PORT": "2222", "LAVALINK_SERVER_FRAME_BUFFER_DURATION_MS": "400"}).settings
    assert (settings.server.port, settings.lavalink.server.frame_buffer_duration_ms) == (2222, 400)


def test_optional_section_created_by_the_environment() -> None:
    settings = settings_from_dict({}, {
        "LAVALINK_SERVER_RATELIMIT_IP_BLOCKS": "2001:db9::/48,2001:db8::/32",
        "LAVALINK_SERVER_RATELIMIT_STRATEGY": "NanoSwitch",
        "METRICS_PROMETHEUS_AUTH_USERNAME": "prom",
        "METRICS_PROMETHEUS_AUTH_PASSWORD": "pw",
    }).settings
    ratelimit = settings.lavalink.server.ratelimit
    assert ratelimit is not None
    assert (ratelimit.ip_blocks, ratelimit.strategy) == (("2001:db9::/48", "2001:db8::/32"), "NanoSwitch")
    assert settings.metrics.prometheus.auth is not None
    assert settings.metrics.prometheus.auth.username == "prom"


def test_mapping_names_come_from_the_rest_of_the_variable() -> None:
    settings = settings_from_dict(
        {"logging": {"level": {"root": "INFO", "org.example": "INFO"}}, "metrics": {"labels": {"env": "dev"}}},
        {
            "LOGGING_LEVEL_ROOT": "WARN",
            "LOGGING_LEVEL_ORG_EXAMPLE": "DEBUG",
            "LOGGING_LEVEL_LAVALINK": "TRACE",
            "METRICS_LABELS_ENV": "prod",
            "METRICS_LABELS_DATA_CENTER": "fra1",
            "SENTRY_TAGS_SOME_KEY": "v",
        },
    ).settings
    assert settings.logging.level == {"root": "WARN", "org.example": "DEBUG", "lavalink": "TRACE"}
    assert settings.metrics.labels == {"env": "prod", "data_center": "fra1"}
    assert settings.sentry.tags == {"some_key": "v"}


def test_collector_settings_by_name_including_custom_names() -> None:
    settings = settings_from_dict(
        {"metrics": {"collectors": {"system": {"enabled": True, "collection_interval": 5}}}},
        {
            "METRICS_COLLECTORS_SYSTEM_ENABLED": "false",
            "METRICS_COLLECTORS_MY_DISK_COLLECTION_INTERVAL": "30",
            "METRICS_COLLECTORS_RUNTIME_COLOUR": "blue",  # no such field: ignored like any unrelated variable
        },
    ).settings
    assert settings.metrics.collectors == {
        "system": CollectorSettings(enabled=False, collection_interval_s=5.0),
        "my_disk": CollectorSettings(enabled=True, collection_interval_s=30.0),
    }


def test_plugin_declarations_by_index() -> None:
    settings = settings_from_dict(
        {"lavalink": {"plugins": [{"dependency": "a:b:1", "repository": "https://yaml"}]}},
        {
            "LAVALINK_PLUGINS_0_REPOSITORY": "https://env",
            "LAVALINK_PLUGINS_1_DEPENDENCY": "c:d:2",
            "LAVALINK_PLUGINS_1_SNAPSHOT": "true",
        },
    ).settings
    assert settings.lavalink.plugins == (
        PluginDeclaration("a:b:1", "https://env"),
        PluginDeclaration("c:d:2", None, True),
    )


def test_plugin_declaration_from_the_environment_alone_is_validated() -> None:
    with pytest.raises(ConfigError, match=r"^lavalink\.plugins\[0\]\.dependency: required$"):
        settings_from_dict({}, {"LAVALINK_PLUGINS_0_REPOSITORY": "https://r"})


@pytest.mark.parametrize(("environ", "message"), [
    ({"SERVER_PORT": "abc"}, "SERVER_PORT: expected an integer from 0 to 65535, got 'abc'"),
    ({"LAVALINK_SERVER_SOURCES_LOCAL": "maybe"}, "LAVALINK_SERVER_SOURCES_LOCAL: expected true or false, got 'maybe'"),
    ({"LAVALINK_SERVER_OPUS_ENCODING_QUALITY": "11"},
     "LAVALINK_SERVER_OPUS_ENCODING_QUALITY: expected an integer from 0 to 10, got '11'"),
    ({"LOGGING_LEVEL_ROOT": "LOUD"},
     "LOGGING_LEVEL_ROOT: expected one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF, got 'LOUD'"),
    ({"METRICS_LABELS_1ST": "x"},
     "METRICS_LABELS_1ST: expected a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __), "
     "got '1st'"),
    ({"METRICS_COLLECTORS_HTTP_ENABLED": "nope"},
     "METRICS_COLLECTORS_HTTP_ENABLED: expected true or false, got 'nope'"),
    ({"LAVALINK_PLUGINS_0_SNAPSHOT": "sometimes", "LAVALINK_PLUGINS_0_DEPENDENCY": "a:b:1"},
     "LAVALINK_PLUGINS_0_SNAPSHOT: expected true or false, got 'sometimes'"),
])
def test_bad_environment_value_names_the_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_from_dict({}, environ)
    assert str(caught.value) == message
