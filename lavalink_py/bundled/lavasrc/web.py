"""The services' web APIs speak JSON over HTTPS, through the plugin API's requester (`PluginContext.http`): every
call, token endpoints included, leaves from the route planner's address and rotates on a 429."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from lavalink_py.plugins.api import RoutedHttp


class ServiceHttpError(Exception):
    """A service answered with an error status (`status`), or not at all (`status` 0)."""

    def __init__(self, service: str, status: int, url: str, detail: str) -> None:
        super().__init__(f"{service} answered {status or 'nothing'} for {url}: {detail}")
        self.service = service
        self.status = status
        self.url = url


class JsonClient:
    def __init__(self, http: RoutedHttp) -> None:
        self._http = http  # the node closes it when it stops

    async def request(
        self,
        service: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        search: bool = False,
    ) -> Any:
        """The JSON `url` answers; `search`: a 429 to it marks the address failing only with `searchTriggersFail`."""
        body, _ = await self.request_with_cookies(service, method, url, params=params, headers=headers, data=data,
                                                  search=search)
        return body

    async def request_with_cookies(
        self,
        service: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        search: bool = False,
    ) -> tuple[Any, dict[str, str]]:
        """The JSON body and the cookies the answer set (name -> value). The requester keeps no cookies of its own
        (one serves every service): a caller that needs one sends it back in a `Cookie` header."""
        try:
            async with self._http.request(method, url, params=params, headers=headers, data=data,
                                          search=search) as response:
                body = await response.read()
                if response.status >= 400:
                    raise ServiceHttpError(service, response.status, url, body[:300].decode("utf-8", "replace"))
                cookies = {name: morsel.value for name, morsel in response.cookies.items()}
                try:
                    return await response.json(content_type=None), cookies
                except ValueError as exc:
                    raise ServiceHttpError(service, response.status, url, f"not JSON: {exc}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServiceHttpError(service, 0, url, f"{type(exc).__name__}: {exc}") from None

    async def get(self, service: str, url: str, *, params: Mapping[str, str] | None = None,
                  headers: Mapping[str, str] | None = None, search: bool = False) -> Any:
        return await self.request(service, "GET", url, params=params, headers=headers, search=search)
