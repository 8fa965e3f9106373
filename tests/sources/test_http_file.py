"""ForwardHttpFile: a seekable file over a server that ignores Range, read once and forwards."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from lavalink_py.sources.http_file import ForwardHttpFile

BODY = bytes(range(256)) * 1000  # 256 kB, every offset identifiable


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    async def whole(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        if request.match_info["kind"] == "sized":
            response.content_length = len(BODY)
        else:
            response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(0, len(BODY), 10_000):
            await response.write(BODY[i : i + 10_000])
        return response

    app = web.Application()
    app.router.add_get("/{kind}", whole)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def read_around(url: str) -> list[bytes]:
    with ForwardHttpFile(url, memory_bytes=64_000) as file:  # spills to disk past 64 kB
        out = [file.read(100)]
        file.seek(200_000)
        out.append(file.read(50))
        file.seek(10, io.SEEK_SET)
        out.append(file.read(20))
        file.seek(-5, io.SEEK_END)
        out.append(file.read(100))
        out.append(file.read(100))
        assert file.tell() == len(BODY)
        return out


@pytest.mark.parametrize("kind", ["sized", "chunked"])
async def test_reads_forward_and_seeks_back_into_the_copy(base_url: str, kind: str) -> None:
    chunks = await asyncio.to_thread(read_around, f"{base_url}/{kind}")
    assert chunks == [BODY[:100], BODY[200_000:200_050], BODY[10:30], BODY[-5:], b""]


def read_all_into(url: str) -> bytes:
    with ForwardHttpFile(url) as file:
        buffer = bytearray(len(BODY) + 10)
        got = 0
        while n := file.readinto(memoryview(buffer)[got:]):
            got += n
        return bytes(buffer[:got])


async def test_readinto_reads_the_whole_body(base_url: str) -> None:
    assert await asyncio.to_thread(read_all_into, f"{base_url}/sized") == BODY
