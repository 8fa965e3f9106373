"""A real headless Chromium (Debian's chromium-headless-shell) driven over the DevTools protocol, for tests of
pages the node serves: navigate, evaluate JavaScript, wait for a condition, take a screenshot."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

BINARIES = ("chromium-headless-shell", "chromium", "chromium-browser")
_LISTENING = re.compile(rb"DevTools listening on (ws://\S+)")


class Page:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data and (future := self._pending.pop(data["id"], None)) is not None:
                future.set_result(data)
            elif "method" in data:
                await self._events.put(data)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = future
        await self._socket.send_json({"id": call_id, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 60)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def navigate(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.navigate", url=url)
        while (await asyncio.wait_for(self._events.get(), 60))["method"] != "Page.loadEventFired":
            pass

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout_s: float = 30.0) -> Any:
        """Until `expression` is truthy; returns its value."""
        for _ in range(int(timeout_s * 10)):
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.1)
        raise AssertionError(f"not true within {timeout_s} s: {expression}")

    async def screenshot(self) -> bytes:
        result = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        return base64.b64decode(result["data"])

    async def close(self) -> None:
        self._reader.cancel()
        await self._socket.close()


async def _drain(process: asyncio.subprocess.Process, listening: asyncio.Future[str]) -> None:
    assert process.stderr is not None
    tail: list[bytes] = []
    async for line in process.stderr:
        tail = [*tail[-20:], line]
        if not listening.done() and (match := _LISTENING.search(line)) is not None:
            listening.set_result(match.group(1).decode())
    if not listening.done():
        listening.set_exception(AssertionError(b"chromium exited: " + b"".join(tail)))


def chromium_binary() -> str | None:
    return next((path for name in BINARIES if (path := shutil.which(name)) is not None), None)


@asynccontextmanager
async def chromium_page(width: int = 1400, height: int = 900) -> AsyncIterator[Page]:
    binary = chromium_binary()
    assert binary is not None, "scripts/test.sh installs chromium-headless-shell"
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            binary,
            "--headless",
            "--no-sandbox",  # root in CI; the page is our own
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-port=0",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group: its renderers go with it
        )
        listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        # Chromium writes to stderr for as long as it runs: drained all along, so a full pipe never blocks it.
        drain = asyncio.create_task(_drain(process, listening))
        try:
            browser_ws = await asyncio.wait_for(listening, 60)
            port = browser_ws.split(":")[2].split("/")[0]
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                    targets = await response.json()
                page_target = next(t for t in targets if t["type"] == "page")
                socket = await http.ws_connect(page_target["webSocketDebuggerUrl"], max_msg_size=0)
                page = Page(socket)
                try:
                    yield page
                finally:
                    await page.close()
        finally:
            # The renderer and zygote processes hold stderr open too: the whole group goes, or wait() never ends.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 30)
            drain.cancel()
