"""Sentry (`sentry.dsn`): the real sentry-sdk sends its envelopes to a local endpoint that speaks Sentry's ingest
protocol (POST /api/<project>/envelope/, newline-delimited JSON, gzip or brotli bodies). Unhandled errors and
track exceptions arrive with their guild, session and track; without a DSN, sentry_sdk is never imported."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from tests.node import connect, running_nodes
from tests.node import test_config as node_config
from tests.test_player_failures import GUILD, http_track

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Ingest:
    url: str
    events: list[dict[str, Any]] = field(default_factory=list)

    async def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout_s: float = 30) -> dict[str, Any]:
        for _ in range(int(timeout_s * 20)):
            for event in self.events:
                if check(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no such event among {[e.get('message') or e.get('logentry') for e in self.events]}")


def parse_envelope(body: bytes) -> list[tuple[dict[str, Any], bytes]]:
    header, _, rest = body.partition(b"\n")
    json.loads(header)
    items = []
    while rest.strip():
        item_header_raw, _, rest = rest.partition(b"\n")
        item_header = json.loads(item_header_raw)
        length = item_header.get("length")
        if length is None:
            payload, _, rest = rest.partition(b"\n")
        else:
            payload, rest = rest[:length], rest[length + 1 :]
        items.append((item_header, payload))
    return items


@pytest.fixture
async def ingest() -> AsyncIterator[Ingest]:
    received = Ingest("")

    async def envelope(request: web.Request) -> web.Response:
        # aiohttp already undid the Content-Encoding the SDK chose (gzip here; brotli where installed).
        body = await request.read()
        for header, payload in parse_envelope(body):
            if header.get("type") == "event":
                received.events.append(json.loads(payload))
        return web.json_response({"id": "0" * 32})

    app = web.Application()
    app.router.add_post("/api/{project}/envelope/", envelope)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    received.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield received
    await runner.cleanup()


class ExplodingLoader:
    """A loader with a bug: every load raises, as an unexpected exception in a handler would."""

    async def load(self, identifier: str) -> LoadResult:
        raise RuntimeError(f"a bug while loading {identifier}")

    def names(self) -> list[str]:
        return ["http"]

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        raise RuntimeError("not used")

    async def close(self) -> None:
        return None


def sentry_config(ingest: Ingest) -> dict[str, Any]:
    dsn = ingest.url.replace("http://", "http://publickey@") + "/42"
    return node_config({"sentry": {"dsn": dsn, "environment": "ci", "tags": {"region": "test-eu"}}})


async def test_track_exceptions_arrive_with_guild_session_and_track(ingest: Ingest) -> None:
    async with running_nodes() as start, aiohttp.ClientSession() as http:
        node = await start(sentry_config(ingest))
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"track": {"encoded": http_track("http://127.0.0.1:1/closed.mp3")}}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackExceptionEvent", 30)
        event = await ingest.wait_for(lambda e: str(e.get("message", "")).startswith("TrackExceptionEvent"))
        await socket.close()
    tags = event["tags"]
    assert tags["guild_id"] == str(GUILD)
    assert tags["session_id"] == ready["sessionId"]
    assert tags["track"] == "Gone"
    assert tags["source"] == "http"
    assert tags["region"] == "test-eu"
    assert event["environment"] == "ci"
    assert event["release"].startswith("4.2.2+lavalink-py.")


async def test_an_unhandled_error_arrives_with_its_traceback(ingest: Ingest) -> None:
    async with running_nodes() as start, aiohttp.ClientSession() as http:
        node = await start(sentry_config(ingest), loader=ExplodingLoader())
        params = {"identifier": "https://example.invalid/a.mp3"}
        async with http.get(f"{node.url}/v4/loadtracks", params=params, headers=node.auth) as response:
            assert response.status == 500
        event = await ingest.wait_for(lambda e: "exception" in e)
    [value] = event["exception"]["values"]
    assert value["type"] == "RuntimeError"
    assert "a bug while loading" in value["value"]
    assert value["stacktrace"]["frames"]


def test_without_a_dsn_sentry_sdk_is_never_imported() -> None:
    code = (
        "import sys\n"
        "from lavalink_py.app import build_app\n"
        "from lavalink_py.config import settings_from_dict\n"
        "build_app(settings_from_dict({}).settings)\n"
        "print('sentry_sdk' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False", result.stderr
