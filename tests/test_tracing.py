"""OpenTelemetry tracing: the node exports over OTLP/HTTP to a real receiver on 127.0.0.1 (tests/otlp_receiver.py).

`traced_node` wires tracing into `build_app` exactly as the proposed app.py change does, unless build_app already
did (then it is that wiring under test).
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from lavalink_py.api.keys import NODE
from lavalink_py.api.tracing import TRACING
from lavalink_py.api.tracing_otel import traces_url
from lavalink_py.app import VERSION, build_app
from lavalink_py.config import settings_from_dict
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.protocol.track_codec import encode_track
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.node import PASSWORD, USER_ID, RunningNode, connect
from tests.node import test_config as node_config
from tests.otlp_receiver import OtlpReceiver, ReceivedSpan

TOKEN = "otel-s3cret"
GUILD = 111
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
PARENT_ID = 0x00F067AA0BA902B7
TRACEPARENT = {"traceparent": f"00-{TRACE_ID:032x}-{PARENT_ID:016x}-01"}


@contextlib.asynccontextmanager
async def running(otel: dict[str, Any]) -> AsyncIterator[tuple[RunningNode, web.AppRunner]]:
    settings = settings_from_dict(node_config({"otel": otel})).settings
    app = build_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield RunningNode(f"http://127.0.0.1:{runner.addresses[0][1]}", PASSWORD, VERSION, app, app[NODE]), runner
    finally:
        await runner.cleanup()


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    async with OtlpReceiver() as receiver:
        yield receiver


def otel_on(receiver: OtlpReceiver) -> dict[str, Any]:
    return {"enabled": True, "endpoint": receiver.url, "token": TOKEN, "environment": "staging"}


@pytest.fixture
async def traced(receiver: OtlpReceiver) -> AsyncIterator[RunningNode]:
    async with running(otel_on(receiver)) as (node, _):
        yield node


@pytest.fixture
def song(tmp_path: Path) -> Path:
    return write_audio(tmp_path / "song.mp3", 1.0, title="Traced Song", artist="Tester")


async def flush(node: RunningNode) -> None:
    # The exporter posts from its own thread and the receiver answers on this loop: flush off the loop.
    assert await asyncio.to_thread(node.app[TRACING].force_flush, 10_000)


async def load(http: aiohttp.ClientSession, node: RunningNode, identifier: str, **headers: str) -> dict[str, Any]:
    params = {"identifier": identifier}
    async with http.get(f"{node.url}/v4/loadtracks", params=params, headers={**node.auth, **headers}) as response:
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body


def only(spans: list[ReceivedSpan]) -> ReceivedSpan:
    assert len(spans) == 1, [span.name for span in spans]
    return spans[0]


def assert_child_of_client(span: Span) -> None:
    assert int.from_bytes(span.trace_id, "big") == TRACE_ID
    assert int.from_bytes(span.parent_span_id, "big") == PARENT_ID


async def test_loadtracks_span_is_a_child_of_the_clients_traceparent(
    traced: RunningNode, receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    body = await load(http, traced, str(song), **TRACEPARENT)
    assert body["loadType"] == "track"
    await flush(traced)
    span = only(receiver.named("GET /v4/loadtracks"))
    assert_child_of_client(span.span)
    assert span.span.kind == Span.SPAN_KIND_SERVER
    assert span.span.status.code != Status.STATUS_CODE_ERROR
    assert span.attributes == {
        "http.request.method": "GET",
        "http.route": "/v4/loadtracks",
        "http.response.status_code": 200,
        "lavalink.source": "local",
        "lavalink.load_type": "track",
        "lavalink.track_count": 1,
    }
    assert span.resource["service.name"] == "lavalink_py"
    assert span.resource["service.version"] == VERSION
    assert span.resource["deployment.environment"] == "staging"
    assert receiver.authorizations and set(receiver.authorizations) == {f"Bearer {TOKEN}"}
    assert set(receiver.content_types) == {"application/x-protobuf"}


async def test_failed_load_is_an_error_span_of_its_own_trace(
    traced: RunningNode, receiver: OtlpReceiver, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    (tmp_path / "text.mp3").write_text("this is not audio\n" * 100)
    body = await load(http, traced, str(tmp_path / "text.mp3"))
    assert body["loadType"] == "error"
    await flush(traced)
    span = only(receiver.named("GET /v4/loadtracks"))
    assert span.span.parent_span_id == b""
    assert span.span.status.code == Status.STATUS_CODE_ERROR
    assert span.span.status.message == body["data"]["message"]
    assert span.attributes["lavalink.load_type"] == "error"
    assert span.attributes["lavalink.track_count"] == 0


async def test_a_malformed_traceparent_starts_a_new_trace(
    traced: RunningNode, receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    await load(http, traced, str(song), traceparent="00-not-a-trace-01")
    await flush(traced)
    span = only(receiver.named("GET /v4/loadtracks"))
    assert span.span.parent_span_id == b""
    assert int.from_bytes(span.span.trace_id, "big") != 0


async def test_track_span_runs_from_start_to_stop_under_the_patch_traceparent(
    traced: RunningNode, receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    encoded = (await load(http, traced, str(song)))["data"]["encoded"]
    socket, ready, _ = await connect(http, traced)
    player_url = f"{traced.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    async with http.patch(
        player_url, json={"track": {"encoded": encoded}}, headers={**traced.auth, **TRACEPARENT}
    ) as response:
        assert response.status == 200
    await socket.event("TrackStartEvent")
    async with http.patch(player_url, json={"track": {"encoded": None}}, headers=traced.auth) as response:
        assert response.status == 200
    assert (await socket.event("TrackEndEvent"))["reason"] == "stopped"
    await flush(traced)
    span = only(receiver.named("track"))
    assert_child_of_client(span.span)
    assert span.span.end_time_unix_nano > span.span.start_time_unix_nano
    assert span.span.status.code != Status.STATUS_CODE_ERROR
    assert span.attributes == {
        "lavalink.guild_id": str(GUILD),
        "lavalink.session_id": ready["sessionId"],
        "lavalink.track.source": "local",
        "lavalink.track.title": "Traced Song",
        "lavalink.track.length_ms": span.attributes["lavalink.track.length_ms"],
        "lavalink.track.end_reason": "stopped",
    }
    assert 900 <= span.attributes["lavalink.track.length_ms"] <= 1100
    await socket.close()


async def test_track_played_to_its_end_ends_its_span_finished(
    traced: RunningNode,
    receiver: OtlpReceiver,
    song: Path,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))
    encoded = (await load(http, traced, str(song)))["data"]["encoded"]
    socket, ready, _ = await connect(http, traced)
    player_url = f"{traced.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    async with FakeVoiceServer(guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)) as server:
        body = {"voice": server.voice_state(), "track": {"encoded": encoded}}
        async with http.patch(player_url, json=body, headers={**traced.auth, **TRACEPARENT}) as response:
            assert response.status == 200
        # The end comes from the audio clock, outside any request: the span is still found and ended.
        assert (await socket.event("TrackEndEvent", 15))["reason"] == "finished"
        async with http.delete(player_url, headers=traced.auth) as response:
            assert response.status == 204  # closes the voice connection before the fake server stops
    await flush(traced)
    span = only(receiver.named("track"))
    assert_child_of_client(span.span)
    assert span.attributes["lavalink.track.end_reason"] == "finished"
    assert span.span.end_time_unix_nano - span.span.start_time_unix_nano >= 0.9e9  # the 1 s song was played
    await socket.close()


async def test_same_track_in_one_guild_from_two_sessions_ends_the_right_span(
    traced: RunningNode, receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    encoded = (await load(http, traced, str(song)))["data"]["encoded"]
    first, first_ready, _ = await connect(http, traced)
    second, second_ready, _ = await connect(http, traced)
    urls = [f"{traced.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}" for ready in (first_ready, second_ready)]
    for url in urls:
        async with http.patch(url, json={"track": {"encoded": encoded}}, headers=traced.auth) as response:
            assert response.status == 200
    async with http.patch(urls[1], json={"track": {"encoded": None}}, headers=traced.auth) as response:
        assert response.status == 200
    await flush(traced)
    ended = only(receiver.named("track"))
    assert ended.attributes["lavalink.session_id"] == second_ready["sessionId"]
    assert ended.attributes["lavalink.track.end_reason"] == "stopped"
    await first.close()
    await second.close()


async def test_track_exception_is_a_span_event_with_error_status(
    traced: RunningNode, receiver: OtlpReceiver, http: aiohttp.ClientSession
) -> None:
    # Not a URL: the HTTP source refuses to open it, so the track fails without needing a voice connection.
    encoded = encode_track(TrackInfo("Gone", "Nobody", 60000, "nowhere", False, None, "http", details=b"\x00\x03mp3"))
    socket, ready, _ = await connect(http, traced)
    player_url = f"{traced.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=traced.auth) as response:
        assert response.status == 200
    exception = await socket.event("TrackExceptionEvent", 20)
    assert (await socket.event("TrackEndEvent", 10))["reason"] == "loadFailed"
    await flush(traced)
    span = only(receiver.named("track"))
    assert span.span.parent_span_id == b""
    assert span.span.status.code == Status.STATUS_CODE_ERROR
    assert span.attributes["lavalink.track.end_reason"] == "loadFailed"
    assert span.attributes["lavalink.track.source"] == "http"
    [event] = span.span.events
    assert event.name == "exception"
    event_attributes = {pair.key: pair.value.string_value for pair in event.attributes}
    assert event_attributes["exception.message"] == exception["exception"]["message"]
    assert event_attributes["lavalink.exception.severity"] == exception["exception"]["severity"]
    await socket.close()


async def test_stopping_the_node_exports_the_tracks_still_playing(
    receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    async with running(otel_on(receiver)) as (node, runner):
        encoded = (await load(http, node, str(song)))["data"]["encoded"]
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackStartEvent")
        assert receiver.named("track") == []
        await runner.cleanup()  # no flush: the shutdown must export what is pending
        await socket.close()
    assert only(receiver.named("track")).attributes["lavalink.track.end_reason"] == "cleanup"
    assert only(receiver.named("GET /v4/loadtracks")).attributes["lavalink.load_type"] == "track"


async def test_disabled_tracing_wires_nothing_and_exports_nothing(
    receiver: OtlpReceiver, song: Path, http: aiohttp.ClientSession
) -> None:
    otel = {**otel_on(receiver), "enabled": False}
    async with running(otel) as (node, runner):
        assert TRACING not in node.app
        encoded = (await load(http, node, str(song), **TRACEPARENT))["data"]["encoded"]
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackStartEvent")
        await runner.cleanup()  # an exporter, had one run, would flush here
        await socket.close()
    assert receiver.spans == []
    assert receiver.authorizations == []


def test_disabled_tracing_never_imports_opentelemetry() -> None:
    script = textwrap.dedent(
        """
        import sys
        from lavalink_py.api.tracing import build_tracing
        from lavalink_py.app import build_app
        from lavalink_py.config import settings_from_dict
        settings = settings_from_dict({"otel": {"enabled": False, "endpoint": "http://127.0.0.1:9"}}).settings
        assert build_tracing(settings.otel, "v") is None
        build_app(settings)
        print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("https://otlp.example.com:4318", "https://otlp.example.com:4318/v1/traces"),
        ("https://otlp.example.com:4318/", "https://otlp.example.com:4318/v1/traces"),
        ("http://collector/otlp/v1/traces", "http://collector/otlp/v1/traces"),
    ],
)
def test_endpoint_is_the_collector_base_url(endpoint: str, url: str) -> None:
    assert traces_url(endpoint) == url
