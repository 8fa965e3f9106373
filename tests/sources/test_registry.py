"""SourceRegistry: order, lookup, plugins, and failures turned into load results."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, NoMatches, TrackLoaded
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.local import LocalSourceManager
from lavalink_py.sources.probe import MediaProbe
from lavalink_py.sources.registry import LOOKUP_FAULT, SourceRegistry, UnknownSourceError
from lavalink_py.sources.tracks import make_track
from tests.sources.conftest import MediaServer
from tests.sources.helpers import failed, loaded


@dataclass
class PrefixSource:
    """A plugin-style source: claims identifiers with its prefix, and can be told to raise."""

    name: str
    prefix: str
    raises: BaseException | None = None
    asked: list[str] = field(default_factory=list)

    async def load_item(self, identifier: str) -> LoadResult | None:
        self.asked.append(identifier)
        if self.raises is not None:
            raise self.raises
        if not identifier.startswith(self.prefix):
            return None
        info = TrackInfo("t", "a", 1, identifier, False, None, self.name)
        return TrackLoaded(make_track(info))

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return StreamSpec(url=f"{self.name}://{info.identifier}")


async def test_first_claiming_manager_wins_in_order() -> None:
    first, second, third = PrefixSource("one", "x"), PrefixSource("two", "y"), PrefixSource("three", "y")
    registry = SourceRegistry([first, second, third])
    assert loaded(await registry.load("yes")).info.source_name == "two"
    assert (first.asked, second.asked, third.asked) == (["yes"], ["yes"], [])


async def test_nobody_claims_is_no_matches() -> None:
    registry = SourceRegistry([PrefixSource("one", "x")])
    assert await registry.load("other") == NoMatches()
    assert await SourceRegistry().load("anything") == NoMatches()


async def test_names_lookup_and_plugin_registration() -> None:
    registry = SourceRegistry([PrefixSource("one", "x")])
    plugin = PrefixSource("plugin", "p")
    registry.register(plugin)
    assert registry.names() == ["one", "plugin"]
    assert registry.manager("plugin") is plugin
    assert registry.manager("missing") is None
    with pytest.raises(ValueError, match="'one' is already registered"):
        registry.register(PrefixSource("one", "z"))


async def test_unexpected_exception_is_a_fault_result(caplog: pytest.LogCaptureFixture) -> None:
    broken = PrefixSource("broken", "x", raises=RuntimeError("disk on fire"))
    registry = SourceRegistry([broken, PrefixSource("two", "x")])
    with caplog.at_level(logging.ERROR, logger="lavalink_py.sources.registry"):
        error = failed(await registry.load("x1"))
    assert [record.exc_info[0] for record in caplog.records if record.exc_info] == [RuntimeError]
    assert (error.message, error.severity) == (LOOKUP_FAULT, "fault")
    assert error.cause == "RuntimeError: disk on fire"
    assert "disk on fire" in error.cause_stack_trace and "Traceback" in error.cause_stack_trace


async def test_friendly_error_raised_by_a_manager_is_its_result() -> None:
    raised = FriendlyError("That video is private.", "common")
    registry = SourceRegistry([PrefixSource("strict", "x", raises=raised)])
    assert await registry.load("x") == LoadFailed(raised)


async def test_open_stream_asks_the_tracks_source() -> None:
    registry = SourceRegistry([PrefixSource("one", "x"), PrefixSource("two", "y")])
    info = loaded(await registry.load("y1")).info
    assert (await registry.open_stream(info)).url == "two://y1"
    with pytest.raises(UnknownSourceError, match="'youtube'"):
        await registry.open_stream(TrackInfo("t", "a", 1, "id", False, None, "youtube"))


@pytest.fixture
async def real_registry(probe: MediaProbe) -> AsyncIterator[SourceRegistry]:
    http = HttpSourceManager(probe)
    yield SourceRegistry([http, LocalSourceManager(probe)])
    await http.close()


async def test_real_sources_split_urls_and_paths(
    real_registry: SourceRegistry, media_server: MediaServer, media_dir: Path
) -> None:
    assert real_registry.names() == ["http", "local"]
    url = media_server.url("/media/tagged.mp3")
    assert loaded(await real_registry.load(url)).info.source_name == "http"
    assert loaded(await real_registry.load(str(media_dir / "tagged.mp3"))).info.source_name == "local"
    assert await real_registry.load(media_server.url("/media/nothing.mp3")) == NoMatches()
    assert await real_registry.load(str(media_dir / "nothing.mp3")) == NoMatches()


async def test_cancellation_is_not_turned_into_a_result() -> None:
    registry = SourceRegistry([PrefixSource("slow", "x", raises=asyncio.CancelledError())])
    with pytest.raises(asyncio.CancelledError):
        await registry.load("x")
