"""Failed extractions become Lavalink results with lavaplayer's severities; nothing escapes load_item."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, NoMatches, Severity, exception_json
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.ytdlp import YtdlpRunner, YtdlpSourceManager
from lavalink_py.sources.ytdlp.sites.youtube import YoutubeSite
from tests.ytdlp.conftest import FakeClock
from tests.ytdlp.managers import build, load
from tests.ytdlp.recorded import RecordedExtract


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("https://www.youtube.com/watch?v=aaaaaaaaaaa",
         ("youtube", "Video unavailable. This video is not available.", "common")),
        ("https://www.youtube.com/watch?v=bbbbbbbbbbb", ("youtube", "This is a private video.", "common")),
        ("https://www.youtube.com/watch?v=ccccccccccc",
         ("youtube", "This video requires age verification.", "suspicious")),
        # YouTube changed its page and yt-dlp could not read it: the user did nothing wrong.
        ("https://www.youtube.com/watch?v=ddddddddddd", ("youtube", "This video cannot be loaded.", "suspicious")),
        ("https://www.youtube.com/playlist?list=PLdoesnotexist000000000000000000",
         ("youtube", "The playlist does not exist.", "common")),
        ("https://soundcloud.com/forss/blocked-here",
         ("soundcloud", "This video is not available from your location due to geo restriction.", "common")),
    ],
)
async def test_recorded_failures(
    executor: ThreadPoolExecutor, recorded: RecordedExtract, identifier: str, expected: tuple[str, str, Severity]
) -> None:
    source, message, severity = expected
    loaded = await load(build(executor, recorded, FakeClock(0.0)), identifier)
    assert loaded is not None
    name, result = loaded
    assert name == source
    assert isinstance(result, LoadFailed)
    assert (result.error.message, result.error.severity) == (message, severity)
    body = exception_json(result.error)
    assert body["cause"].split(":", 1)[0] in {"ExtractorError", "RegexNotFoundError", "GeoRestrictedError"}
    assert "Traceback" in body["causeStackTrace"]


async def test_missing_bandcamp_page_is_empty(executor: ThreadPoolExecutor, recorded: RecordedExtract) -> None:
    assert await load(build(executor, recorded, FakeClock(0.0)), "https://blazo.bandcamp.com/track/gone") == (
        "bandcamp", NoMatches())


def _raise_key_error(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
    return {"entries": [{"id": "dQw4w9WgXcQ"}]}["formats"]  # type: ignore[return-value]


async def test_a_broken_extractor_is_a_fault(executor: ThreadPoolExecutor) -> None:
    manager = YtdlpSourceManager(YoutubeSite(), YtdlpRunner(executor, _raise_key_error))
    result = await manager.load_item("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    assert isinstance(result, LoadFailed)
    assert (result.error.message, result.error.severity) == ("This video cannot be loaded.", "fault")
    assert result.error.cause == "KeyError: 'formats'"


async def test_an_extraction_that_hangs_times_out_as_a_fault(executor: ThreadPoolExecutor) -> None:
    release = threading.Event()
    started = threading.Event()

    def hang(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
        started.set()
        release.wait(10.0)
        return {}

    runner = YtdlpRunner(executor, hang, timeout_s=0.2)
    manager = YtdlpSourceManager(YoutubeSite(), runner)
    try:
        result = await manager.load_item("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    finally:
        release.set()
    assert started.is_set()
    assert isinstance(result, LoadFailed)
    assert result.error.severity == "fault"
    assert runner.failures == 1


async def test_open_stream_failure_raises_a_friendly_error(
    executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    managers = build(executor, recorded, FakeClock(0.0))
    gone = TrackInfo("Gone", "Someone", 1000, "aaaaaaaaaaa", False, "https://www.youtube.com/watch?v=aaaaaaaaaaa",
                     "youtube")
    with pytest.raises(FriendlyError) as raised:
        await managers["youtube"].open_stream(gone)
    assert raised.value.severity == "common"


async def test_concurrent_plays_of_one_track_share_one_extraction(
    executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    managers = build(executor, recorded, FakeClock(1763884800.0))
    info = TrackInfo("Never", "Rick", 213_000, "dQw4w9WgXcQ", False, "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                     "youtube")
    specs = await asyncio.gather(*(managers["youtube"].open_stream(info) for _ in range(5)))
    assert len({spec.url for spec in specs}) == 1
    assert recorded.urls() == ["https://www.youtube.com/watch?v=dQw4w9WgXcQ"]
