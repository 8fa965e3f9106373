"""Environment overrides of `plugins.<name>.*`, Spring's relaxed binding as the node's own settings have it:
PLUGINS_LAVASRC_SPOTIFY_CLIENTID (Spring's form) and PLUGINS_LAVASRC_SPOTIFY_CLIENT_ID (the form Lavalink's docs
list) both reach `plugins.lavasrc.spotify.clientId`, over the YAML value; on a real process too."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from lavalink_py.bundled.lavasrc.config import LavaSrcConfig
from lavalink_py.config import ConfigError, bind_section, settings_from_dict
from tests.plugins.test_startup import start, stop, write_config
from tests.test_cli import _wait_ready, listening_port


def lavasrc(yaml: dict[str, object], environ: dict[str, str]) -> LavaSrcConfig:
    plugins = settings_from_dict({"plugins": yaml}, environ).settings.plugins
    config, unknown = bind_section(LavaSrcConfig, plugins["lavasrc"], "plugins.lavasrc")
    assert unknown == []
    return config


def test_variables_override_and_add_plugin_keys_in_either_spelling() -> None:
    config = lavasrc({"lavasrc": {"spotify": {"clientId": "from-yaml", "countryCode": "DE"}}}, {
        "PLUGINS_LAVASRC_SPOTIFY_CLIENTID": "from-env",  # Spring's form
        "PLUGINS_LAVASRC_SPOTIFY_CLIENT_SECRET": "secret",  # Lavalink's docs' form
        "PLUGINS_LAVASRC_SOURCES_SPOTIFY": "true",
        "PLUGINS_LAVASRC_LYRICS_SOURCES_DEEZER": "true",  # lyrics-sources.deezer
        "PLUGINS_LAVASRC_CACHE_MAXENTRIES": "12",
        "PLUGINS_LAVASRC_PROVIDERS": 'scsearch:%QUERY%, ytsearch:"%ISRC%"',  # a list, comma-separated as Spring's
        "PATH": "/usr/bin",  # the environment's other variables name nothing
    })
    assert (config.spotify.client_id, config.spotify.client_secret, config.spotify.country_code) == (
        "from-env", "secret", "DE")
    assert config.sources.spotify and config.lyrics_sources.deezer and config.cache.max_entries == 12
    assert config.providers == ("scsearch:%QUERY%", 'ytsearch:"%ISRC%"')


def test_a_section_is_made_by_the_environment_and_found_by_its_spelled_name() -> None:
    plugins = settings_from_dict({"plugins": {"my-plugin": {"speed": 1}}}, {
        "PLUGINS_LAVASRC_SOURCES_DEEZER": "true", "PLUGINS_MY_PLUGIN_SPEED": "3"}).settings.plugins
    assert set(plugins) == {"my-plugin", "lavasrc"}
    config, _ = bind_section(LavaSrcConfig, plugins["lavasrc"], "plugins.lavasrc")
    assert config.sources.deezer


def test_a_bad_value_from_the_environment_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PLUGINS_LAVASRC_CACHE_MAXENTRIES: expected an integer >= 0"):
        lavasrc({}, {"PLUGINS_LAVASRC_CACHE_MAXENTRIES": "-3"})


async def test_a_real_node_takes_plugin_settings_from_its_environment(tmp_path: Path) -> None:
    # The YAML switches nothing on: LavaSrc's Spotify source, its credentials and SponsorBlock's `enabled: false`
    # come from the environment alone.
    config = write_config(tmp_path / "application.yml", body=(
        "  plugins:\n    - dependency: com.github.topi314.sponsorblock:sponsorblock-plugin:3.0.0\n"))
    process = await start(config, tmp_path, [], env={
        "PLUGINS_LAVASRC_SOURCES_SPOTIFY": "true", "PLUGINS_LAVASRC_SPOTIFY_CLIENT_ID": "id",
        "PLUGINS_LAVASRC_SPOTIFY_CLIENTSECRET": "secret", "PLUGINS_SPONSORBLOCK_ENABLED": "false"})
    seen = bytearray()
    try:
        base = f"http://127.0.0.1:{await listening_port(process, seen)}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            async with http.get(f"{base}/v4/info", headers={"Authorization": "secret"}) as response:
                info = await response.json()
    finally:
        output = await stop(process, bytes(seen))
    assert process.returncode == 0, output
    assert [p["name"] for p in info["plugins"]] == ["lavasrc-plugin"]
    assert "spotify" in info["sourceManagers"]
    assert "clientId/clientSecret not set" not in output  # both arrived
    assert "disabled by plugins.sponsorblock.enabled" in output
