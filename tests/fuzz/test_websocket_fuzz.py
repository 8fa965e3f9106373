"""Fuzzing the raw wire: handshakes with any header bytes, then any WebSocket frames, over a plain TCP socket; and
any headers on the REST routes. The node answers a status the OpenAPI document lists (never a 5xx), sends only
well-formed Lavalink messages, drops the sessions it opened when their sockets go, and keeps serving."""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from typing import Any

import aiohttp
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz import strategies as fs
from tests.fuzz.harness import FuzzNode, examples
from tests.node import USER_ID, wait_until
from tests.openapi_check import ResponseChecker, parse_json

settings.load_profile("fuzz")

READ_TIMEOUT_S = 15.0

header_values = st.one_of(
    st.binary(max_size=12).filter(lambda b: b"\r" not in b and b"\n" not in b),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")).filter(lambda b: b"\r" not in b),
    st.sampled_from([b"\xff\xfe\xfd", b"Basic \xc3\xa9\xc3\xa9", b"Basic Og==", b"Basic !!!", b""]),
)


@st.composite
def handshake_headers(draw: st.DrawFn, password: str) -> dict[bytes, bytes]:
    headers = {
        b"Upgrade": b"websocket",
        b"Connection": b"Upgrade",
        b"Sec-WebSocket-Key": base64.b64encode(os.urandom(16)),
        b"Sec-WebSocket-Version": b"13",
        b"Authorization": password.encode(),
        b"User-Id": USER_ID.encode(),
        b"Client-Name": b"fuzz/1.0",
    }
    for name in draw(st.sets(st.sampled_from([*sorted(headers), b"Session-Id"]), max_size=3)):
        value = draw(st.none() | header_values | st.integers(0, 2**65).map(lambda n: str(n).encode()))
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """A client frame: any opcode and flags, masked or not, and a length field that may lie."""
    fin = draw(st.booleans()) << 7
    rsv = draw(st.integers(0, 7)) << 4
    opcode = draw(st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA]) | st.integers(0, 15))
    payload = draw(st.binary(max_size=40) | st.text(max_size=20).map(lambda t: t.encode("utf-8", "surrogatepass")))
    length = draw(st.just(len(payload)) | st.integers(0, 2**16 + 5) | st.just(2**63 - 1))
    if length < 126:
        head = struct.pack(">B", length)
    elif length < 2**16:
        head = struct.pack(">BH", 126, length)
    else:
        head = struct.pack(">BQ", 127, length)
    masked = draw(st.booleans())
    head = bytes([head[0] | (0x80 if masked else 0)]) + head[1:]
    if masked:
        key = draw(st.binary(min_size=4, max_size=4))
        payload = key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([fin | rsv | opcode]) + head + payload


def _request(method: bytes, path: bytes, headers: dict[bytes, bytes]) -> bytes:
    lines = [method + b" " + path + b" HTTP/1.1", b"Host: 127.0.0.1", *(k + b": " + v for k, v in headers.items())]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def _parser_refusal(status: int, headers: dict[str, str]) -> bool:
    """aiohttp's HTTP parser answers a request it cannot parse (a NUL in a header…) with a plain-text 400 before
    any route or middleware sees it, as Tomcat does under Lavalink; the OpenAPI document describes routes only."""
    return status == 400 and headers.get("Content-Type", "").startswith("text/plain")


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().title()] = value.strip()
    return int(status_line.split()[1]), headers


def _server_messages(data: bytes) -> list[Any]:
    """The text frames the server sent (unmasked, as RFC 6455 has servers send), parsed as JSON."""
    messages, pos = [], 0
    while pos + 2 <= len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            (length,) = struct.unpack_from(">H", data, pos)
            pos += 2
        elif length == 127:
            (length,) = struct.unpack_from(">Q", data, pos)
            pos += 8
        payload = data[pos : pos + length]
        pos += length
        if opcode == 0x1 and len(payload) == length:
            messages.append(parse_json(payload))
    return messages


async def _handshake_then_frames(fuzz: FuzzNode, headers: dict[bytes, bytes], sent: list[bytes]) -> None:
    port = int(fuzz.node.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request(b"GET", b"/v4/websocket", headers))
        status, response_headers = await _read_head(reader)
        if _parser_refusal(status, response_headers):
            return
        if status != 101:
            length = int(response_headers.get("Content-Length", "0"))
            body = await asyncio.wait_for(reader.readexactly(length), READ_TIMEOUT_S)
            fuzz.checker.check("GET", "/v4/websocket", status, response_headers, body)
            return
        fuzz.checker.check("GET", "/v4/websocket", status, response_headers, b"")
        writer.write(b"".join(sent))
        writer.write_eof()  # a frame whose length lies waits for bytes that never come: EOF ends it
        received = await asyncio.wait_for(reader.read(), READ_TIMEOUT_S)
        for message in _server_messages(received):
            fuzz.checker.validate_schema(message, "WebSocketMessage")
    finally:
        writer.close()


@settings(max_examples=examples(150))
@given(data=st.data(), sent=st.lists(frames(), max_size=4))
def test_handshake_then_any_frames(fuzz: FuzzNode, data: st.DataObject, sent: list[bytes]) -> None:
    headers = data.draw(handshake_headers(fuzz.node.password), label="headers")
    fuzz.run(_handshake_then_frames(fuzz, headers, sent))


def test_sockets_of_the_fuzzed_handshakes_are_gone(fuzz: FuzzNode) -> None:
    # Only the harness's own session is left once the node has seen every fuzzed socket close.
    fuzz.run(wait_until(lambda: len(fuzz.node.node.sessions.sessions()) == 1, timeout=READ_TIMEOUT_S))
    fuzz.check_node_answers()


async def _raw_rest(fuzz: FuzzNode, method: bytes, path: bytes, headers: dict[bytes, bytes]) -> None:
    port = int(fuzz.node.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request(method, path, {**headers, b"Connection": b"close"}))
        status, response_headers = await _read_head(reader)
        body = await asyncio.wait_for(reader.read(), READ_TIMEOUT_S)
        if _parser_refusal(status, response_headers):
            return
        fuzz.checker.check(method.decode(), path.decode(), status, response_headers, body)
    finally:
        writer.close()


@settings(max_examples=examples(200))
@given(
    route=st.sampled_from(
        [
            (b"GET", b"/v4/info"),
            (b"GET", b"/v4/health"),
            (b"GET", b"/metrics"),
            (b"GET", b"/v4/stats"),
            (b"GET", b"/version"),
            (b"GET", b"/v4/openapi.json"),
            (b"DELETE", b"/v4/sessions/x/players/1"),
        ]
    ),
    authorization=st.none() | header_values | st.just(b"PASSWORD"),
    extra=st.dictionaries(st.sampled_from([b"User-Id", b"Session-Id", b"Accept", b"Content-Type"]), header_values),
)
def test_any_authorization_on_rest(
    fuzz: FuzzNode, route: tuple[bytes, bytes], authorization: bytes | None, extra: dict[bytes, bytes]
) -> None:
    headers = dict(extra)
    if authorization is not None:
        headers[b"Authorization"] = fuzz.node.password.encode() if authorization == b"PASSWORD" else authorization
    fuzz.run(_raw_rest(fuzz, *route, headers))


async def _send_messages(fuzz: FuzzNode, messages: list[str | bytes]) -> None:
    headers = {**fuzz.node.auth, "User-Id": USER_ID, "Client-Name": "fuzz/1.0"}
    async with fuzz.http.ws_connect(fuzz.node.ws_url, headers=headers) as ws:
        ready = await ws.receive_json(timeout=READ_TIMEOUT_S)
        fuzz.checker.validate_schema(ready, "ReadyMessage")
        for message in messages:
            if isinstance(message, str):
                await ws.send_str(message)
            else:
                await ws.send_bytes(message)
        # Lavalink v4 ignores what clients send: the socket is still open and answers a ping.
        await ws.ping(b"still there")
        status, _ = await fuzz.request("GET", f"{fuzz.node.url}/v4/info")
        assert status == 200
        assert not ws.closed
    assert ws.close_code == aiohttp.WSCloseCode.OK


@settings(max_examples=examples(100))
@given(
    messages=st.lists(
        fs.json_values.map(lambda v: fs.dumps(v).decode()) | st.text(max_size=30) | st.binary(max_size=30),
        max_size=5,
    )
)
def test_any_client_messages_are_ignored(fuzz: FuzzNode, messages: list[str | bytes]) -> None:
    # aiohttp refuses to send a lone surrogate as text; a raw frame with those bytes is in the test above.
    messages = [m for m in messages if not (isinstance(m, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in m))]
    fuzz.run(_send_messages(fuzz, messages))


def test_the_checker_saw_every_response(fuzz: FuzzNode) -> None:
    assert isinstance(fuzz.checker, ResponseChecker)
    fuzz.run(wait_until(lambda: len(fuzz.node.node.sessions.sessions()) == 1, timeout=READ_TIMEOUT_S))
    fuzz.check_node_answers()
