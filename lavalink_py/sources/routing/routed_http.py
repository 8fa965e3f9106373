"""An aiohttp requester whose requests leave from the route planner's address: what plugins get for their own
HTTP (`PluginContext.http`), so a plugin's API calls rotate on a 429 as the node's sources do."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiohttp

from lavalink_py.sources.routing.outbound import Outbound


class RoutedHttp:
    """`request(method, url, **aiohttp kwargs)` as `aiohttp.ClientSession.request`, used as `async with`.

    Without a planner it is one pooled session. With one, every attempt connects from the planner's address (a
    fresh connection, so a rotation takes effect at once); a 429 marks that address failing (for `search=True`
    only with `searchTriggersFail`) and the request is sent again from the next one, up to `retryLimit` retries;
    the last 429 is handed back when they are spent. The session opens on first use, in the running loop, and
    keeps no cookies.
    """

    def __init__(self, outbound: Outbound, *, timeout_s: float | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.outbound = outbound
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._headers = dict(headers or {})
        self._session: aiohttp.ClientSession | None = None

    def _default(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # No cookie jar: one requester may serve several services (and, with a planner, every attempt is a
            # session of its own anyway); a caller that needs a cookie reads `response.cookies` and sends it back.
            self._session = aiohttp.ClientSession(timeout=self._timeout, headers=self._headers,
                                                  cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    def request(self, method: str, url: Any, *, search: bool = False, **kwargs: Any
                ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        return self.outbound.request(self._default(), method, url, search=search, **kwargs)

    def get(self, url: Any, *, search: bool = False, **kwargs: Any
            ) -> AbstractAsyncContextManager[aiohttp.ClientResponse]:
        return self.request("GET", url, search=search, **kwargs)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
