"""What the context accepts and refuses, the YouTube stand-in's options, and the JVM plugin lines."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from lavalink_py.app import build_app
from lavalink_py.config import settings_from_dict
from lavalink_py.config.settings import PluginDeclaration
from lavalink_py.plugins import PluginLoadError, build_plugins
from lavalink_py.plugins.api import LoadResult, NoMatches, PluginContext, StreamSpec, TrackInfo
from lavalink_py.plugins.jvm import declared_plugin_lines
from lavalink_py.plugins.loader import Candidate
from lavalink_py.protocol.load_result import SearchLoaded
from tests.node import running_nodes


class Echo:
    """A source answering its own prefix with nothing, and counting what it was asked."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.asked: list[str] = []

    async def load_item(self, identifier: str) -> LoadResult | None:
        self.asked.append(identifier)
        return SearchLoaded([]) if identifier.startswith("ytsearch:") else None

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        raise NotImplementedError


class Registers:
    version = "1"

    def __init__(self, name: str, register: Any) -> None:
        self.name = name
        self._register = register

    def setup(self, context: PluginContext) -> None:
        self._register(context)


def plugins_of(config: dict[str, Any], *plugins: Registers) -> Any:
    settings = settings_from_dict(config).settings
    candidates = [Candidate(p.name, "test", lambda p=p: p) for p in plugins]  # type: ignore[misc]
    # Left open: the yt-dlp sites are built on it at their first load (sources/ytdlp/deferred.py).
    return build_plugins(settings, ThreadPoolExecutor(1), candidates=candidates)


def test_a_search_prefix_belongs_to_one_source() -> None:
    def steal(context: PluginContext) -> None:
        context.add_source(Echo("thief"), search_prefixes=["ytsearch:"])

    with pytest.raises(PluginLoadError, match=r"plugin thief: .*'ytsearch:' is already claimed by source 'youtube'"):
        plugins_of({}, Registers("thief", steal))


def test_a_route_outside_v4_is_refused() -> None:
    async def handler(_request: Any) -> Any:
        raise NotImplementedError

    with pytest.raises(PluginLoadError, match="plugin odd: route '/odd' must start with /v4/"):
        plugins_of({}, Registers("odd", lambda c: c.add_route("GET", "/odd", handler)))


async def test_a_prefixed_identifier_goes_to_its_source_alone() -> None:
    echo = Echo("echo")
    out = plugins_of({}, Registers("echo", lambda c: c.add_source(echo, search_prefixes=["echosearch:"])))
    assert isinstance(await out.sources.load("echosearch:x"), NoMatches)
    assert echo.asked == ["echosearch:x"]
    assert out.sources.search_prefixes()["echosearch:"] == "echo"
    assert out.sources.search_prefixes()["ytsearch:"] == "youtube"


async def test_plugins_youtube_configures_the_ytdlp_youtube_source() -> None:
    config = {
        "lavalink": {"server": {"sources": {"youtube": False}}},
        "plugins": {"youtube": {"allowSearch": False, "allowDirectVideoIds": False}},
    }
    out = plugins_of(config)
    assert "youtube" in out.sources.names(), "plugins.youtube.enabled defaults to true, as in youtube-plugin"
    assert "ytsearch:" not in out.sources.search_prefixes()
    # Neither is claimed now, so no request is made: nothing else answers them either.
    assert isinstance(await out.sources.load("ytsearch:never gonna"), NoMatches)
    assert isinstance(await out.sources.load("dQw4w9WgXcQ"), NoMatches)


def test_plugins_youtube_enabled_false_removes_the_source() -> None:
    out = plugins_of({"plugins": {"youtube": {"enabled": False}}})
    assert "youtube" not in out.sources.names()


def test_plugins_youtube_bad_value_is_named() -> None:
    with pytest.raises(PluginLoadError, match=r"plugins\.youtube\.allowSearch: expected true or false"):
        plugins_of({"plugins": {"youtube": {"allowSearch": "maybe"}}})


def test_every_declared_jvm_plugin_gets_one_line() -> None:
    lines = declared_plugin_lines([
        PluginDeclaration("dev.lavalink.youtube:youtube-plugin:1.13.3"),
        PluginDeclaration("com.github.topi314.lavasrc:lavasrc-plugin:4.3.0"),
        PluginDeclaration("com.example:mystery-plugin:0.1"),
    ])
    assert len(lines) == 3
    assert lines[0].startswith("lavalink.plugins[0]: dev.lavalink.youtube:youtube-plugin:1.13.3")
    assert "yt-dlp YouTube source" in lines[0]
    assert "the bundled lavasrc plugin" in lines[1] and lines[1].endswith("stands in for it")
    assert "no Python plugin stands in for it" in lines[2]


def test_a_plugin_collector_clashing_with_a_built_in_stops_start_up_naming_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "greedy.py").write_text(
        "from prometheus_client.metrics_core import GaugeMetricFamily\n"
        "class Clash:\n"
        "    def collect(self):\n"
        "        return [GaugeMetricFamily('lavalink_cpu_cores', 'a built-in name')]\n"
        "    describe = collect\n"
        "class Greedy:\n"
        "    name = 'greedy'\n"
        "    version = '1'\n"
        "    def setup(self, context):\n"
        "        context.add_collector('greedy', Clash())\n"
        "plugin = Greedy()\n"
    )
    settings = settings_from_dict({"lavalink": {"pluginsDir": str(tmp_path)}}).settings
    with pytest.raises(PluginLoadError, match="'greedy' of plugin greedy"):
        build_app(settings)


async def test_a_package_in_the_plugins_folder_loads_with_its_own_modules(tmp_path: Path) -> None:
    package = tmp_path / "shelf"
    package.mkdir()
    (package / "answers.py").write_text("ANSWER = 'shelved'\n")
    (package / "__init__.py").write_text(
        "from .answers import ANSWER\n"
        "class Shelf:\n"
        "    name = 'shelf'\n"
        "    version = '0.2'\n"
        "    def setup(self, context):\n"
        "        context.add_plugin_info(self)\n"
        "    def track(self, track):\n"
        "        return {'shelf': ANSWER}\n"
        "    def playlist(self, playlist):\n"
        "        return None\n"
        "plugin = Shelf\n"
    )
    (tmp_path / "_private.py").write_text("raise ImportError('never imported')\n")
    settings = settings_from_dict({"lavalink": {"pluginsDir": str(tmp_path)}}).settings
    with ThreadPoolExecutor(1) as pool:
        out = build_plugins(settings, pool)
    assert [(p.name, p.version) for p in out.plugins if p.listed] == [("shelf", "0.2")]
    assert [name for name, _ in out.info_modifiers] == ["shelf"]


def test_a_plugin_section_that_is_not_a_mapping_is_refused() -> None:
    echo = Echo("echo")
    with pytest.raises(PluginLoadError, match=r"plugins\.echo: expected a mapping"):
        plugins_of({"plugins": {"echo": 5}}, Registers("echo", lambda c: c.add_source(echo)))


async def test_cleanups_run_when_the_node_stops(tmp_path: Path) -> None:
    plugins_dir = tmp_path / "plugins"
    plugins_dir.mkdir()
    marker = tmp_path / "closed"
    (plugins_dir / "tidy.py").write_text(
        "from pathlib import Path\n"
        "class Tidy:\n"
        "    name = 'tidy'\n"
        "    version = '1'\n"
        "    def setup(self, context):\n"
        "        async def close():\n"
        f"            Path({str(marker)!r}).write_text('closed')\n"
        "        async def broken():\n"
        "            raise RuntimeError('a cleanup that fails does not stop the others')\n"
        "        context.on_cleanup(close)\n"
        "        context.on_cleanup(broken)\n"
        "plugin = Tidy\n"
    )
    async with running_nodes() as start:
        await start({"lavalink": {"pluginsDir": str(plugins_dir)}})
        assert not marker.exists()
    assert marker.read_text() == "closed"


def test_enabled_must_be_a_boolean() -> None:
    echo = Echo("echo")
    with pytest.raises(PluginLoadError, match=r"plugins\.echo\.enabled: expected true or false, got 'nope'"):
        plugins_of({"plugins": {"echo": {"enabled": "nope"}}}, Registers("echo", lambda c: c.add_source(echo)))
    out = plugins_of({"plugins": {"echo": {"enabled": "false"}}}, Registers("echo", lambda c: c.add_source(echo)))
    assert "echo" not in out.sources.names()
