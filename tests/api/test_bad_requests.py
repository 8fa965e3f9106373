"""Requests aiohttp cannot parse: still its 400, but one quiet WARNING line and a counter, never a traceback each."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    TransferEncodingError,
)

from lavalink_py.api.bad_requests import MAX_DETAIL_CHARS, bad_request_reason, one_line
from lavalink_py.api.keys import COUNTERS
from tests.node import RunningNode

# Each is refused by aiohttp's parser before any route, keyed by the reason it is counted under: TLS's ClientHello
# sent to the plain port (the connection's first request, which aiohttp logs at DEBUG), a header line without a
# colon, a request line past aiohttp's 8190 bytes, an HTTP version that does not exist, control bytes in the URL.
GARBAGE = {
    "method": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    "message": b"GET /v4/info HTTP/1.1\r\nHost: 127.0.0.1\r\nthis is not a header\r\n\r\n",
    "line_too_long": b"GET /v4/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "request_line": b"GET /v4/info HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    "url": b"GET /v4/\x00\x01 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
}


async def send_raw(node: RunningNode, data: bytes) -> bytes:
    """Writes `data` on a fresh connection and reads the answer to the end (aiohttp closes after a 400)."""
    port = int(node.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        await writer.wait_closed()


def bad_requests(node: RunningNode) -> dict[str, int]:
    return dict(node.app[COUNTERS].http.bad_requests.items())


async def test_garbage_is_answered_400_counted_and_logged_once_without_traceback(
    node: RunningNode, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rounds = 4
    for _ in range(rounds):
        for data in GARBAGE.values():
            answer = await send_raw(node, data)
            assert answer.split(b" ", 2)[1] == b"400", answer[:200]
    assert bad_requests(node) == {reason: rounds for reason in GARBAGE}

    ours = [r for r in caplog.records if r.name == "lavalink_py.api.bad_requests"]
    # 20 refusals within the minute: the first is logged as one line, the rest only counted.
    assert len(ours) == 1, [r.getMessage() for r in ours]
    line = ours[0]
    assert line.levelno == logging.WARNING
    assert line.exc_info is None and line.stack_info is None
    assert "\n" not in line.getMessage()
    assert "127.0.0.1" in line.getMessage() and "answered 400 (method)" in line.getMessage()
    assert [r.getMessage() for r in caplog.records if r.name == "aiohttp.server"] == []

    async with http.get(node.url + "/metrics", headers=node.auth) as response:
        text = await response.text()
    for reason in GARBAGE:
        assert f'lavalink_http_bad_requests_total{{reason="{reason}"}} {float(rounds)}' in text

    async with http.get(node.url + "/v4/info", headers=node.auth) as response:  # the node still answers
        assert response.status == 200


async def test_an_unhandled_exception_still_reaches_aiohttp_with_its_traceback(
    node: RunningNode, caplog: pytest.LogCaptureFixture
) -> None:
    """Only parse errors are quietened: the real logger gets everything else as aiohttp sent it."""
    handler_args = node.app._handler_args  # what build_app hands aiohttp's request handlers
    assert handler_args is not None
    log = handler_args["logger"]
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")
    try:
        raise RuntimeError("a bug")
    except RuntimeError as exc:
        log.exception("Error handling request from %s", "127.0.0.1", exc_info=exc)
    log.debug("Ignored premature client disconnection")
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.ERROR, "Error handling request from 127.0.0.1"),
        (logging.DEBUG, "Ignored premature client disconnection"),
    ]
    assert records[0].exc_info is not None
    assert bad_requests(node) == {}


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (BadHttpMethod("\x16\x03"), "method"),
        (BadStatusLine("HTTP/9"), "request_line"),
        (LineTooLong("line", "8190"), "line_too_long"),
        (InvalidHeader("x y"), "header"),
        (InvalidURLError("bad url"), "url"),
        (TransferEncodingError("bad chunk"), "body"),
        (BadHttpMessage("anything else"), "message"),
    ],
)
def test_reasons_are_a_small_fixed_set(exc: BadHttpMessage, reason: str) -> None:
    assert bad_request_reason(exc) == reason


def test_the_parsers_message_becomes_one_bounded_line() -> None:
    assert one_line("Invalid method encountered:\n\n    b'\\x16'\n      ^") == "Invalid method encountered: b'\\x16' ^"
    long = one_line("x" * 1000)
    assert len(long) == MAX_DETAIL_CHARS and long.endswith("…")
