"""A real node on 127.0.0.1, run on an event loop in a thread, so that Hypothesis (which runs synchronous test
functions) can drive it one example at a time. Every HTTP response goes through the OpenAPI checker and every
WebSocket message the fuzz session receives is checked against the document's message schemas."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp

from tests.media import write_audio
from tests.node import LavalinkSocket, NodeFactory, RunningNode, connect, running_nodes
from tests.openapi_check import ResponseChecker, checking_middleware, parse_json

T = TypeVar("T")


def examples(count: int) -> int:
    """`count` Hypothesis examples, times LAVALINK_PY_FUZZ_SCALE (default 1) for a longer run by hand or nightly."""
    return max(1, round(count * float(os.environ.get("LAVALINK_PY_FUZZ_SCALE", "1"))))


# Generous: a busy machine slows a request, it must never fail one.
REQUEST_TIMEOUT_S = 30.0


class FuzzNode:
    def __init__(self, media_dir: Path) -> None:
        self.media_dir = media_dir
        self.checker = ResponseChecker()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-node", daemon=True)
        self._nodes: contextlib.AbstractAsyncContextManager[NodeFactory] = running_nodes()
        self.messages_checked = 0
        self.requests_sent = 0  # through request(): each one's response must have reached the checker
        self._guild = 0
        self.baseline: tuple[int, Any] | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = REQUEST_TIMEOUT_S) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def start(self) -> None:
        self._thread.start()
        self.media = write_audio(self.media_dir / "tone.wav", seconds=1.0)
        (self.media_dir / "notes.txt").write_text("not audio\n")
        self.run(self._start())

    async def _start(self) -> None:
        factory = await self._nodes.__aenter__()
        # Only sources that answer without the network: a fuzz run must not wait on DNS or remote sites.
        off = dict.fromkeys(("youtube", "soundcloud", "bandcamp", "twitch", "vimeo", "nico"), False)
        self.node: RunningNode = await factory({"lavalink": {"server": {"sources": {**off, "http": True}}}})
        self.http = aiohttp.ClientSession(
            middlewares=(checking_middleware(self.checker),),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        )
        self.socket, ready, _ = await connect(self.http, self.node)
        self.session_id: str = ready["sessionId"]
        url = f"{self.node.url}/v4/loadtracks?identifier={quote(str(self.media))}"
        status, result = await self.request("GET", url)
        assert (status, result["loadType"]) == (200, "track"), result
        self.media_encoded: str = result["data"]["encoded"]

    def stop(self) -> None:
        self.run(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(REQUEST_TIMEOUT_S)
        self.loop.close()

    async def _stop(self) -> None:
        await self.socket.close()
        await self.http.close()
        await self._nodes.__aexit__(None, None, None)

    def next_guild(self) -> int:
        """A fresh guild per example, so an earlier example's player never disturbs a later one."""
        self._guild += 1
        return 100_000 + self._guild

    def player_url(self, guild: int | str) -> str:
        return f"{self.node.url}/v4/sessions/{self.session_id}/players/{guild}"

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: bytes | None = None,
        content_type: str | None = "application/json",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request, its response already checked against the document; returns status and parsed JSON (or None)."""
        self.requests_sent += 1
        sent = {**self.node.auth, **(headers or {})}
        if body is not None and content_type is not None:
            sent["Content-Type"] = content_type
        async with self.http.request(method, url, data=body, headers=sent) as response:
            raw = await response.read()
            is_json = response.content_type == "application/json"
            return response.status, parse_json(raw) if is_json and raw else None

    def check_node_answers(self) -> None:
        """The node still serves REST, the fuzz session's socket is open, and every message it got is well formed."""
        status, _ = self.run(self.request("GET", f"{self.node.url}/v4/info"))
        assert status == 200
        assert not self.socket.ws.closed
        self.check_messages(self.socket)

    def check_messages(self, socket: LavalinkSocket) -> None:
        for message in socket.seen[self.messages_checked :] if socket is self.socket else socket.seen:
            self.checker.validate_schema(message, "WebSocketMessage")
        if socket is self.socket:
            self.messages_checked = len(socket.seen)
