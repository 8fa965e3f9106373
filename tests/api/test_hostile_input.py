"""Hostile input (issue 9): every input path decodes, validates and bounds what it reads before it stores, so no
request reaches a 5xx, a refused request changes nothing, and the node still answers for the player afterwards."""

from __future__ import annotations

import asyncio
import base64
import struct
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest

from lavalink_py.api.keys import COUNTERS
from tests.api.test_players import TRACK_A, Client, without_time
from tests.node import USER_ID, RunningNode, connect


@pytest.fixture
async def client(node: RunningNode, http: aiohttp.ClientSession) -> AsyncIterator[Client]:
    socket, ready, _ = await connect(http, node)
    yield Client(http, node, ready["sessionId"], socket)
    await socket.close()


async def raw_request(node: RunningNode, method: str, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """One HTTP/1.1 request with header bytes as given (aiohttp's client refuses to send non-UTF-8 headers)."""
    port = int(node.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
    head += [name + b": " + value for name, value in headers]
    writer.write(b"\r\n".join(head) + b"\r\n\r\n")
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


def auth_failures(node: RunningNode) -> dict[tuple[str, str], int]:
    return dict(node.app[COUNTERS].http.auth_failures.items())


# --- Authorization header bytes -------------------------------------------------------------------------------------

NOT_UTF8 = b"\xff\xfe\xfd"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # RequestAuthorizationFilter: a wrong password is 403 on REST routes and /v4/health alike.
        ("/v4/info", 403),
        ("/v4/sessions/abc/players", 403),
        ("/v4/health", 403),
        # HandshakeInterceptorImpl.beforeHandshake: 401 for any password that is not the server's.
        ("/v4/websocket", 401),
    ],
)
async def test_authorization_that_is_not_utf8_is_a_wrong_password(node: RunningNode, path: str, status: int) -> None:
    headers = [(b"Authorization", NOT_UTF8), (b"User-Id", USER_ID.encode())]
    assert await raw_request(node, "GET", path, headers) == status
    assert await raw_request(node, "GET", path, [(b"Authorization", b"youshallnotpass\xff")]) == status


@pytest.mark.parametrize(
    "credentials",
    [
        "Basic éé".encode(),
        "Basic éé".encode("latin-1"),
        b"Basic " + NOT_UTF8,
        b"Basic " + base64.b64encode(b"\xff:\xfe"),
        b"Basic !!!",
        NOT_UTF8,
    ],
)
async def test_metrics_refuses_malformed_credentials_with_a_challenge(node: RunningNode, credentials: bytes) -> None:
    assert await raw_request(node, "GET", "/metrics", [(b"Authorization", credentials)]) == 401


async def test_metrics_accepts_the_password_raw_and_as_basic(node: RunningNode, http: aiohttp.ClientSession) -> None:
    basic = "Basic " + base64.b64encode(b"prometheus:" + node.password.encode()).decode()
    for header in (node.password, basic):
        async with http.get(node.url + "/metrics", headers={"Authorization": header}) as response:
            assert response.status == 200


async def test_refusals_are_counted_by_route_and_reason_and_warned_once_a_minute(
    node: RunningNode, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="lavalink_py.api.middleware")
    for _ in range(20):
        async with http.get(node.url + "/v4/info") as response:
            assert response.status == 401
    for _ in range(3):
        async with http.get(node.url + "/v4/sessions/abc/players", headers={"Authorization": "nope"}) as response:
            assert response.status == 403
    async with http.get(node.url + "/metrics") as response:
        assert response.status == 401
    assert await raw_request(node, "GET", "/v4/websocket", [(b"Authorization", b"nope")]) == 401
    assert auth_failures(node) == {
        ("/v4/info", "missing"): 20,
        ("/v4/sessions/{session_id}/players", "wrong"): 3,
        ("/metrics", "missing"): 1,
        ("/v4/websocket", "wrong"): 1,
    }
    warnings = [r for r in caplog.records if r.getMessage().startswith("Authorization")]
    # 25 refusals within the minute: the first is logged, the rest only counted.
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    scrape_headers = {"Authorization": node.password}
    async with http.get(node.url + "/metrics", headers=scrape_headers) as response:
        text = await response.text()
    assert 'lavalink_auth_failures_total{endpoint="/v4/info",reason="missing"} 20.0' in text


def test_auth_warnings_are_rate_limited_and_report_what_they_left_out() -> None:
    from lavalink_py.api.auth import AuthWarnings

    limiter = AuthWarnings(interval_s=60.0)
    assert limiter.should_log(1000.0) == 0
    assert [limiter.should_log(1000.0 + t) for t in (1, 2, 59)] == [None, None, None]
    assert limiter.should_log(1060.0) == 3
    assert limiter.should_log(1061.0) is None


# --- Discord ids ----------------------------------------------------------------------------------------------------

VOICE = {"token": "tok", "endpoint": "us-east1.discord.media", "sessionId": "vs"}


@pytest.mark.parametrize("channel_id", [str(2**64), "0", "-1", "12a", "²", "١٢٣", " 1", "1" * 21])
async def test_voice_channel_id_must_be_an_unsigned_64_bit_snowflake(client: Client, channel_id: str) -> None:
    status, error = await client.patch(7, {"voice": {**VOICE, "channelId": channel_id}})
    assert status == 400, error
    assert error["message"].startswith("voice.channelId: expected a snowflake")
    assert (await client.get(7))[0] == 404
    assert client.node.node.sessions.get(client.session_id).players == {}  # type: ignore[union-attr]


async def test_the_largest_snowflake_is_a_channel_id(client: Client) -> None:
    status, player = await client.patch(7, {"voice": {**VOICE, "channelId": str(2**64 - 1)}})
    assert status == 200, player
    assert player["voice"]["channelId"] == str(2**64 - 1)
    assert (await client.get(7))[0] == 200


@pytest.mark.parametrize("guild_id", ["²", "١٢٣", str(2**63), "-1"])
async def test_guild_id_of_another_script_or_out_of_range_is_400(client: Client, guild_id: str) -> None:
    status, error = await client.patch(guild_id, {"volume": 10})
    assert status == 400, error
    assert error["message"].startswith("guildId: expected a snowflake")


@pytest.mark.parametrize("user_id", ["²", "١٢٣", "0", str(2**63)])
async def test_websocket_user_id_of_another_script_is_400(node: RunningNode, user_id: str) -> None:
    headers = [(b"Authorization", node.password.encode()), (b"User-Id", user_id.encode())]
    assert await raw_request(node, "GET", "/v4/websocket", headers) == 400


# --- JSON depth and strings that cannot be written back -------------------------------------------------------------


def nested(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


async def patch_bytes(client: Client, guild: int, body: bytes, content_type: str = "application/json") -> Any:
    headers = {**client.node.auth, "Content-Type": content_type}
    async with client.http.patch(client.url(guild), data=body, headers=headers) as response:
        return response.status, orjson.loads(await response.read())


async def test_user_data_400_deep_is_stored_and_written_back(client: Client) -> None:
    user_data = nested(400)
    status, player = await client.patch(3, {"track": {"encoded": TRACK_A, "userData": user_data}})
    assert status == 200, player
    assert player["track"]["userData"] == user_data
    async with client.http.get(client.url(3).rsplit("/", 1)[0], headers=client.node.auth) as response:
        assert response.status == 200
        assert (await response.json())[0]["track"]["userData"] == user_data
    start = await client.socket.event("TrackStartEvent")
    assert start["track"]["userData"] == user_data
    async with client.http.delete(client.url(3), headers=client.node.auth) as response:
        assert response.status == 204


class RawJsonFilter:
    """A plugin filter that keeps its JSON as given (Lavalink stores pluginFilters only for a registered name)."""

    name = "deep"

    def parse(self, value: Any, where: str) -> Any:
        return value

    def to_json(self, params: Any) -> Any:
        return params

    def is_neutral(self, params: Any) -> bool:
        return True

    def stage(self, params: Any) -> Any:
        raise AssertionError("neutral: never built")


async def test_plugin_filters_400_deep_are_stored_and_written_back(client: Client) -> None:
    client.node.node.audio.filters.register(RawJsonFilter(), plugin=True)
    status, player = await client.patch(3, {"filters": {"pluginFilters": {"deep": nested(400)}}})
    assert status == 200, player
    assert player["filters"]["pluginFilters"]["deep"] == nested(400)
    status, again = await client.get(3)
    assert status == 200
    assert again["filters"] == player["filters"]


def nested_text(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


async def test_json_deeper_than_jacksons_limit_is_a_clear_400_and_stores_nothing(client: Client) -> None:
    # Jackson's StreamReadConstraints.DEFAULT_MAX_DEPTH: 1000 nested objects/arrays in one document; the body and
    # track objects are two of them.
    at_limit = b'{"track":{"encoded":"' + TRACK_A.encode() + b'","userData":' + nested_text(998) + b"}}"
    status, player = await patch_bytes(client, 4, at_limit)
    assert status == 200, player
    async with client.http.get(client.url(4), headers=client.node.auth) as response:
        assert response.status == 200
        # (compared as text: == on dicts 998 deep exceeds Python's recursion limit)
        assert b'"userData":' + nested_text(998) + b"}" in await response.read()
    for depth in (999, 1200, 5000):
        text = b'{"track":{"encoded":null,"userData":' + nested_text(depth) + b"}}"
        status, error = await patch_bytes(client, 5, text)
        assert status == 400, error
        assert error["message"] == (
            # Jackson reports the first level past the limit, whatever the document's full depth.
            "JSON parse error: Document nesting depth (1001) exceeds the maximum allowed (1000, from "
            "`StreamReadConstraints.getMaxNestingDepth()`)"
        )
    status, _ = await client.get(5)
    assert status == 404
    # Brackets inside strings are text, not nesting.
    status, player = await client.patch(5, {"track": {"encoded": None, "userData": {"s": "[{" * 3000}}})
    assert status == 200, player


def track_with_title(title: bytes) -> str:
    """A version-3 http track whose title is these modified-UTF-8 bytes."""

    def utf(raw: bytes) -> bytes:
        return struct.pack(">H", len(raw)) + raw

    body = (
        b"\x03" + utf(title) + utf(b"author") + struct.pack(">q", 1000) + utf(b"http://example.invalid/a.mp3") + b"\x00"
        + b"\x01" + utf(b"http://example.invalid/a.mp3") + b"\x00\x00" + utf(b"http") + struct.pack(">q", 0)
    )  # fmt: skip
    return base64.b64encode(struct.pack(">I", (1 << 30) | len(body)) + body).decode()


# Modified UTF-8 of U+D800 alone: Java's readUTF reads it into a String holding one lone surrogate.
LONE_SURROGATE = b"bad \xed\xa0\x80 title"


async def test_lone_surrogate_title_is_written_as_lavalink_writes_it(client: Client) -> None:
    encoded = track_with_title(LONE_SURROGATE)
    async with client.http.get(
        client.node.url + "/v4/decodetrack", params={"encodedTrack": encoded}, headers=client.node.auth
    ) as response:
        assert response.status == 200
        raw = await response.read()
    # Lavalink: kotlinx writes the char as it is, String.getBytes(UTF_8) (Spring's converter) makes it "?".
    assert b'"title":"bad ? title"' in raw
    async with client.http.post(
        client.node.url + "/v4/decodetracks", json=[encoded, TRACK_A], headers=client.node.auth
    ) as response:
        assert response.status == 200
        assert b'"title":"bad ? title"' in await response.read()
    status, player = await client.patch(6, {"encodedTrack": encoded})
    assert status == 200, player
    assert player["track"]["encoded"] == encoded
    # The socket too (Undertow's WebSockets.sendText encodes with String.getBytes(UTF_8)).
    assert (await client.socket.event("TrackStartEvent"))["track"]["info"]["title"] == "bad ? title"
    assert (await client.get(6))[0] == 200
    async with client.http.delete(client.url(6), headers=client.node.auth) as response:
        assert response.status == 204


# --- pluginFilters and Content-Type ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [[], 0, "", False, None, [{"a": 1}], 1.5])
async def test_plugin_filters_must_be_an_object(client: Client, value: Any) -> None:
    await client.patch(8, {"encodedTrack": TRACK_A, "filters": {"pluginFilters": {"echo": {"delay": 1}}}})
    _, before = await client.get(8)
    status, error = await client.patch(8, {"filters": {"pluginFilters": value}})
    assert status == 400, error
    assert error["message"].startswith("filters.pluginFilters: expected a JSON object")
    _, after = await client.get(8)
    assert without_time(after) == without_time(before)


@pytest.mark.parametrize(
    ("method", "route"),
    [("PATCH", "/v4/sessions/{sid}/players/9"), ("PATCH", "/v4/sessions/{sid}"), ("POST", "/v4/decodetracks")],
)
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json"]
)
async def test_json_under_another_content_type_is_415_and_changes_nothing(
    client: Client, method: str, route: str, content_type: str
) -> None:
    url = client.node.url + route.format(sid=client.session_id)
    body = orjson.dumps([TRACK_A] if method == "POST" else {"volume": 50, "resuming": True})
    headers = {**client.node.auth, "Content-Type": content_type}
    async with client.http.request(method, url, data=body, headers=headers) as response:
        assert response.status == 415
        error = await response.json()
        accepted = response.headers.get("Accept", "")
    assert error["error"] == "Unsupported Media Type"
    # DefaultHandlerExceptionResolver sends the exception's detail, the type as Spring's MediaType prints it.
    assert error["message"] == f"Content-Type '{content_type.replace('; ', ';')}' is not supported."
    assert "application/json" in accepted
    session = client.node.node.sessions.get(client.session_id)
    assert session is not None and session.players == {} and session.resuming is False


async def test_json_with_a_charset_or_a_json_suffix_is_accepted(client: Client) -> None:
    for content_type in ("application/json; charset=utf-8", "application/vnd.lavalink+json", "APPLICATION/JSON"):
        status, player = await patch_bytes(client, 9, b'{"volume": 50}', content_type)
        assert status == 200, (content_type, player)


async def test_after_every_refusal_the_players_still_answer(client: Client) -> None:
    await client.patch(10, {"encodedTrack": TRACK_A})
    refused = [
        {"voice": {**VOICE, "channelId": str(2**64)}},
        {"filters": {"pluginFilters": []}},
        {"track": {"encoded": track_with_title(b"\xed\xa0")}},
    ]
    for body in refused:
        status, _ = await client.patch(10, body)
        assert status == 400
    async with client.http.get(client.url(10).rsplit("/", 1)[0], headers=client.node.auth) as response:
        assert response.status == 200
        assert [p["guildId"] for p in await response.json()] == ["10"]
    async with client.http.delete(client.url(10), headers=client.node.auth) as response:
        assert response.status == 204


# --- defaults -------------------------------------------------------------------------------------------------------


async def test_local_directories_confine_loadtracks(
    make_node: Any, http: aiohttp.ClientSession, tmp_path: Any
) -> None:
    from tests.sources.conftest import files

    allowed = tmp_path / "music"
    allowed.mkdir()
    (allowed / "tone.wav").write_bytes(files()["tone.wav"])
    (tmp_path / "secret.wav").write_bytes(files()["tone.wav"])
    node = await make_node({"lavalink": {"server": {"localDirectories": [str(allowed)]}}})

    async def load(path: str) -> str:
        params = {"identifier": path}
        async with http.get(node.url + "/v4/loadtracks", params=params, headers=node.auth) as response:
            return str((await response.json())["loadType"])

    assert await load(str(allowed / "tone.wav")) == "track"
    assert await load(str(tmp_path / "secret.wav")) == "empty"
    assert await load(str(allowed / ".." / "secret.wav")) == "empty"


async def test_the_body_is_judged_before_the_session_is_looked_up(
    node: RunningNode, http: aiohttp.ClientSession
) -> None:
    # PlayerRestHandler.patchPlayer: Spring reads @RequestBody (and converts guildId) before socketContext() runs.
    url = node.url + "/v4/sessions/nosuchsession/players/1"
    headers = {**node.auth, "Content-Type": "text/plain"}
    async with http.patch(url, data=b"{}", headers=headers) as response:
        assert response.status == 415
    async with http.patch(url, data=b"{nope", headers={**node.auth, "Content-Type": "application/json"}) as response:
        assert response.status == 400
    async with http.patch(url, json={}, headers=node.auth) as response:
        assert response.status == 404


UPGRADE = [
    (b"Upgrade", b"websocket"),
    (b"Connection", b"Upgrade"),
    (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"Sec-WebSocket-Version", b"13"),
]


@pytest.mark.parametrize("header", [b"Client-Name", b"Session-Id"])
async def test_websocket_headers_that_are_not_utf8_are_read_not_fatal(node: RunningNode, header: bytes) -> None:
    credentials = [(b"Authorization", node.password.encode()), (b"User-Id", USER_ID.encode())]
    assert await raw_request(node, "GET", "/v4/websocket", credentials + UPGRADE + [(header, NOT_UTF8)]) == 101
    assert await raw_request(node, "GET", "/v4/info", credentials) == 200
