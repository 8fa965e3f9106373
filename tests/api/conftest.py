"""Every response the API tests receive is checked against the node's OpenAPI document, and every WebSocket
message against its message schemas."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.openapi_check import ResponseChecker, checking_middleware, checking_websocket_class


@pytest.fixture(scope="session")
def response_checker() -> ResponseChecker:
    return ResponseChecker()


@pytest.fixture
async def http(response_checker: ResponseChecker) -> AsyncIterator[aiohttp.ClientSession]:
    mismatches: list[str] = []
    async with aiohttp.ClientSession(
        middlewares=(checking_middleware(response_checker),),
        ws_response_class=checking_websocket_class(response_checker, mismatches),
    ) as session:
        yield session
    assert mismatches == [], "WebSocket messages the OpenAPI document does not describe"
