"""Any input is bound or refused with ConfigError; nothing else escapes (YAML data and environment alike)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lavalink_py.config import ConfigError, settings_from_dict
from lavalink_py.config.environment import targets_for
from lavalink_py.config.settings import Settings

KEYS = [
    "server", "port", "address", "http2", "enabled", "lavalink", "plugins", "dependency", "repository", "snapshot",
    "pluginsDir", "password", "sources", "local", "filters", "channelMix", "bufferDurationMs",
    "frame-buffer-duration-ms", "opusEncodingQuality", "resamplingQuality", "playerUpdateInterval", "ratelimit",
    "ipBlocks", "excludedIps", "strategy", "retryLimit", "httpConfig", "proxyPort", "timeouts", "metrics",
    "prometheus", "endpoint", "auth", "username", "collectors", "system", "collection_interval",
    "collection_timeout", "labels", "custom", "health", "thresholds", "memory_percent", "probes", "otel", "logging",
    "level", "root", "format", "file", "path", "name", "logback", "rollingpolicy", "max-file-size", "sentry", "tags",
    "server.port", "lavalink.server", "level.root", "x", "",
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12),
    st.sampled_from(["${A}", "${A:1}", "${}", "1GB", "LOW", "json", "1.0.0.0/8", "/m", "true", "-1"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.integers()), children, max_size=4),
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.sampled_from(KEYS), values, max_size=5)
env_names = st.one_of(
    st.sampled_from(["SERVER_PORT", "LAVALINK_PLUGINS_0_DEPENDENCY", "LAVALINK_PLUGINS_3_SNAPSHOT",
                     "LOGGING_LEVEL_ROOT", "METRICS_LABELS_ENV", "LAVALINK_SERVER_RATELIMIT_IP_BLOCKS", "A",
                     "METRICS_COLLECTORS_SYSTEM_ENABLED", "METRICS_COLLECTORS_MY_X_COLLECTION_INTERVAL"]),
    st.sampled_from(sorted(targets_for(Settings).leaves)),
    st.text(alphabet="ABCLMNOPRSTV_0123456789", max_size=20),
)


def bind_or_refuse(data: dict[Any, Any], environ: dict[str, str]) -> None:
    try:
        loaded = settings_from_dict(data, environ)
    except ConfigError as exc:
        assert str(exc).split(":")[0]  # every refusal names where
    else:
        assert isinstance(loaded.settings, Settings)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_any_yaml_data_binds_or_raises_config_error(data: dict[Any, Any]) -> None:
    bind_or_refuse(data, {"A": "1"})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(env_names, st.text(max_size=10), max_size=6))
def test_any_environment_binds_or_raises_config_error(environ: dict[str, str]) -> None:
    bind_or_refuse({}, environ)
