"""Every response the API tests receive is checked against the node's OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.openapi_check import ResponseChecker, checking_middleware


@pytest.fixture(scope="session")
def response_checker() -> ResponseChecker:
    return ResponseChecker()


@pytest.fixture
async def http(response_checker: ResponseChecker) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(middlewares=(checking_middleware(response_checker),)) as session:
        yield session
