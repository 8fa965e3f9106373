"""The services' web APIs speak JSON over HTTPS; one aiohttp session for all of them, opened on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp


class ServiceHttpError(Exception):
    """A service answered with an error status (`status`), or not at all (`status` 0)."""

    def __init__(self, service: str, status: int, url: str, detail: str) -> None:
        super().__init__(f"{service} answered {status or 'nothing'} for {url}: {detail}")
        self.service = service
        self.status = status
        self.url = url


class JsonClient:
    def __init__(self, timeout_s: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def request(
        self,
        service: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
    ) -> Any:
        body, _ = await self.request_with_cookies(service, method, url, params=params, headers=headers, data=data)
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
    ) -> tuple[Any, dict[str, str]]:
        """The JSON body and the cookies the answer set (name -> value). The session keeps no cookies of its own
        (one session serves every service): a caller that needs one sends it back in a `Cookie` header."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, cookie_jar=aiohttp.DummyCookieJar())
        try:
            async with self._session.request(method, url, params=params, headers=headers, data=data) as response:
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
                  headers: Mapping[str, str] | None = None) -> Any:
        return await self.request(service, "GET", url, params=params, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
