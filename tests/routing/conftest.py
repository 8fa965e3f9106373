from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from tests.fakes.lyrics_services import serve
from tests.routing.sites import Site


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    fake = Site()
    app = web.Application()
    app.router.add_get("/{name}", fake.handle)
    async with serve(app) as url:
        fake.url = url
        yield fake
