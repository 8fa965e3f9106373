"""Whole configuration files: the bundled one, Lavalink's own, and files that cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lavalink_py.config import ConfigError, default_settings, load_settings, settings_from_dict
from lavalink_py.config.settings import BUILTIN_COLLECTORS, CollectorSettings
from tests.config.conftest import DATA, REPO_ROOT


def test_bundled_config_loads_without_warnings() -> None:
    loaded = load_settings(REPO_ROOT / "application.yml", {})
    assert loaded.warnings == []
    settings = loaded.settings
    assert settings.server.port == 2333
    assert settings.lavalink.server.password == "youshallnotpass"
    # Off as Lavalink ships it: with it on, the password reads any file of the server's disk.
    assert settings.lavalink.server.sources.local is False
    assert settings.lavalink.server.local_directories == ()
    assert settings.lavalink.server.sources.http is True
    assert settings.metrics.prometheus.enabled is True
    assert settings.metrics.prometheus.endpoint == "/metrics"
    assert settings.logging.logback.rollingpolicy.max_file_size_bytes == 1 << 30


def test_bundled_config_shows_every_observability_default() -> None:
    bundled = load_settings(REPO_ROOT / "application.yml", {}).settings
    defaults = default_settings()
    assert set(bundled.metrics.collectors) == set(BUILTIN_COLLECTORS)
    assert all(bundled.metrics.collector(name) == defaults.metrics.collector(name) for name in BUILTIN_COLLECTORS)
    assert bundled.metrics.collection_timeout_s == defaults.metrics.collection_timeout_s
    assert bundled.health == defaults.health
    assert bundled.otel == defaults.otel
    assert bundled.logging.format == defaults.logging.format


def test_java_lavalink_config_loads_without_warnings() -> None:
    loaded = load_settings(DATA / "java_lavalink.yml", {})
    assert loaded.warnings == []
    server = loaded.settings.lavalink.server
    assert server.password == "youshallnotpass"
    assert server.sources.youtube is False
    assert server.sources.nico is True
    assert server.ratelimit is None
    assert server.http_config is None
    assert loaded.settings.logging.level == {"root": "INFO", "lavalink": "INFO"}
    assert loaded.settings.logging.request.include_client_info is True
    assert loaded.settings.logging.logback.rollingpolicy.max_history == 30
    assert loaded.settings.plugins == {}


def test_spring_keys_load_with_a_warning_per_unused_key() -> None:
    loaded = load_settings(DATA / "java_lavalink_with_spring_keys.yml", {})
    assert loaded.warnings == [
        "spring: unknown key, ignored",
        "server.error: unknown key, ignored",
        "lavalink.server.password: not set; every request that needs the password will be refused",
    ]
    assert loaded.settings.server == default_settings().server


def test_empty_file_gives_defaults(write_yaml: Callable[[str], Path]) -> None:
    loaded = load_settings(write_yaml("# nothing here\n"), {})
    assert loaded.settings == default_settings()


def test_defaults_match_lavalink() -> None:
    settings = default_settings()
    assert settings == settings_from_dict({}).settings
    assert (settings.server.port, settings.server.address, settings.server.http2.enabled) == (2333, "0.0.0.0", False)
    server = settings.lavalink.server
    assert server.password is None
    sources = server.sources
    assert (sources.youtube, sources.bandcamp, sources.soundcloud, sources.twitch) == (True, True, True, True)
    assert (sources.vimeo, sources.nico, sources.http, sources.local) == (True, False, True, False)
    assert all(getattr(server.filters, name) for name in server.filters.__slots__)
    assert server.filters.disabled() == frozenset()
    assert (server.buffer_duration_ms, server.frame_buffer_duration_ms, server.opus_encoding_quality) == (400, 5000, 10)
    assert (server.resampling_quality, server.track_stuck_threshold_ms) == ("LOW", 10000)
    assert server.use_seek_ghosting is True
    assert (server.youtube_playlist_load_limit, server.player_update_interval_s) == (6, 5)
    assert (server.youtube_search_enabled, server.soundcloud_search_enabled) == (True, True)
    assert (server.soundcloud_filter_out_preview_tracks, server.non_allocating_frame_buffer) == (False, False)
    assert server.gc_warnings is True
    assert (server.ratelimit, server.youtube_config, server.http_config) == (None, None, None)
    assert server.timeouts.connect_timeout_ms == server.timeouts.socket_timeout_ms == 3000
    assert settings.lavalink.plugins == ()
    assert settings.lavalink.plugins_dir == "./plugins"
    assert settings.lavalink.default_plugin_repository == "https://maven.lavalink.dev/releases"


def test_defaults_of_our_own_keys() -> None:
    settings = default_settings()
    prometheus = settings.metrics.prometheus
    assert (prometheus.enabled, prometheus.endpoint) == (False, "/metrics")
    assert (prometheus.port, prometheus.auth) == (None, None)
    assert settings.metrics.collectors == {}
    assert all(settings.metrics.collector(name) == CollectorSettings(True, 15.0) for name in BUILTIN_COLLECTORS)
    assert settings.metrics.collection_timeout_s == 0.5
    assert (settings.metrics.labels, settings.metrics.custom) == ({}, ())
    thresholds = settings.health.thresholds
    assert (thresholds.memory_percent, thresholds.disk_percent, thresholds.event_loop_lag_ms) == (90, 90, 100)
    assert settings.health.probes.auth is False
    assert settings.otel.enabled is False
    assert settings.logging.format == "text"
    assert settings.logging.file.path is None
    assert settings.logging.logback.rollingpolicy.max_file_size_bytes == 10 * 1024 * 1024


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"application\.yml: configuration file not found"):
        load_settings(tmp_path / "application.yml", {})


def test_invalid_yaml_is_a_config_error(write_yaml: Callable[[str], Path]) -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(write_yaml("server:\n  port: [1\n"), {})


def test_top_level_must_be_a_mapping(write_yaml: Callable[[str], Path]) -> None:
    with pytest.raises(ConfigError, match="expected a mapping of settings at the top level, got list"):
        load_settings(write_yaml("- 1\n- 2\n"), {})


def test_settings_are_frozen() -> None:
    settings = default_settings()
    with pytest.raises(AttributeError):
        settings.server.port = 1  # type: ignore[misc]
