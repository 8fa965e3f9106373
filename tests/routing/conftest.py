from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.routing.sites import Site


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    fake = Site()
    app = web.Application()
    app.router.add_get("/{name}", fake.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    fake.url = f"http://127.0.0.1:{server.port}"
    try:
        yield fake
    finally:
        await server.close()
