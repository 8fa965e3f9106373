"""A search that cannot reach its site is a failure (`error`), never "no results" (`empty`): issue 9.

The real yt-dlp runs with every request sent to a proxy port nobody listens on, so the test is the same with or
without a network. yt-dlp's search extractors list results lazily; with `ignoreerrors` (which lets one bad entry
of an album be skipped) the page fetches that fail were swallowed and the search came back empty.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from lavalink_py.protocol.load_result import LoadFailed
from lavalink_py.sources.ytdlp import ytdlp_extract
from tests.ytdlp.conftest import FakeClock
from tests.ytdlp.managers import build, load


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


@pytest.mark.parametrize(("identifier", "source"), [("ytsearch:lofi", "youtube"), ("ytmsearch:lofi", "youtube")])
async def test_search_without_network_is_an_error(
    pool: ThreadPoolExecutor, closed_port: int, identifier: str, source: str
) -> None:
    def offline(url: str, options: Mapping[str, Any]) -> dict[str, Any]:
        return ytdlp_extract(url, {**options, "proxy": f"http://127.0.0.1:{closed_port}"})

    managers = build(pool, offline, FakeClock(1_800_000_000.0), youtube=True)
    answered = await load(managers, identifier)
    assert answered is not None
    name, result = answered
    assert name == source
    assert isinstance(result, LoadFailed), result
    assert result.error.severity == "fault"
