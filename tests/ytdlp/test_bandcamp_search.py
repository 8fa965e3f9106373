"""`bcsearch:` reads Bandcamp's search page (served here by a local aiohttp server from a saved page)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.protocol.load_result import LoadFailed, NoMatches, SearchLoaded
from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from tests.ytdlp.conftest import FakeClock
from tests.ytdlp.managers import build
from tests.ytdlp.recorded import FIXTURES, RecordedExtract

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


async def _search_server(aiohttp_server: ServerFactory, queries: list[dict[str, str]]) -> str:
    page = (FIXTURES / "bandcamp" / "search.html").read_text(encoding="utf-8")

    async def search(request: web.Request) -> web.Response:
        queries.append(dict(request.query))
        if request.query.get("q") == "boom":
            raise web.HTTPServiceUnavailable()
        if request.query.get("q") == "nothing":
            return web.Response(text="<html><body><ul class='result-items'></ul></body></html>",
                                content_type="text/html")
        return web.Response(text=page, content_type="text/html")

    app = web.Application()
    app.router.add_get("/search", search)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def test_bcsearch_lists_tracks_only(
    aiohttp_server: ServerFactory, executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    queries: list[dict[str, str]] = []
    base = await _search_server(aiohttp_server, queries)
    bandcamp = build(executor, recorded, FakeClock(0.0), base_urls={"bandcamp_search": base})["bandcamp"]
    result = await bandcamp.load_item("bcsearch: blazo ")
    assert isinstance(result, SearchLoaded)
    assert [t.info for t in result.tracks] == [
        TrackInfo("Intro", "Blazo", STREAM_LENGTH_MS, "https://blazo.bandcamp.com/track/intro", False,
                  "https://blazo.bandcamp.com/track/intro", "bandcamp", "https://f4.bcbits.com/img/a1721150828_7.jpg"),
        TrackInfo("Zeroes (Blazo rmx) & more", "Dub Diggers", STREAM_LENGTH_MS,
                  "https://dubdiggers.bandcamp.com/track/zeroes-blazo-rmx", False,
                  "https://dubdiggers.bandcamp.com/track/zeroes-blazo-rmx", "bandcamp",
                  "https://f4.bcbits.com/img/a0987654321_7.jpg"),
    ]
    assert queries == [{"q": "blazo", "item_type": "t"}]
    assert recorded.calls == []


async def test_bcsearch_empty_and_failing(
    aiohttp_server: ServerFactory, executor: ThreadPoolExecutor, recorded: RecordedExtract
) -> None:
    queries: list[dict[str, str]] = []
    base = await _search_server(aiohttp_server, queries)
    bandcamp = build(executor, recorded, FakeClock(0.0), base_urls={"bandcamp_search": base})["bandcamp"]
    assert await bandcamp.load_item("bcsearch:nothing") == NoMatches()
    assert await bandcamp.load_item("bcsearch:   ") == NoMatches()
    failed = await bandcamp.load_item("bcsearch:boom")
    assert isinstance(failed, LoadFailed)
    assert failed.error.severity == "suspicious"
    assert failed.error.message == "Loading information for a Bandcamp resource failed."
