"""/v4/loadtracks decodes what it loads: bytes that only look like audio are "Unknown file format" (lavaplayer).

Random bytes named .mp3 hold enough MP3 sync words for FFmpeg's demuxer to open them; only decoding shows they
are not audio. A genuine live stream (Icecast-style, no length, no ranges) must still load.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from aiohttp import web

from tests.media import write_audio
from tests.node import RunningNode


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    rng = np.random.default_rng(7)
    (tmp_path / "noise.mp3").write_bytes(rng.integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    (tmp_path / "noise.flac").write_bytes(b"fLaC" + rng.integers(0, 256, 100_000, dtype=np.uint8).tobytes())
    song = write_audio(tmp_path / "song.mp3", 3.0)

    async def radio(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg", "icy-name": "Test FM"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        data = song.read_bytes()
        for i in range(0, len(data), 4096):
            await response.write(data[i : i + 4096])
        return response

    app = web.Application()
    app.router.add_get("/radio", radio)
    app.router.add_static("/media", tmp_path)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def load(node: RunningNode, identifier: str) -> dict[str, object]:
    async with aiohttp.ClientSession() as http, http.get(
        f"{node.url}/v4/loadtracks", params={"identifier": identifier}, headers=node.auth
    ) as response:
        assert response.status == 200
        body: dict[str, object] = await response.json()
        return body


@pytest.mark.parametrize("name", ["noise.mp3", "noise.flac"])
async def test_noise_over_http_is_an_unknown_format(node: RunningNode, media_url: str, name: str) -> None:
    body = await load(node, f"{media_url}/media/{name}")
    assert body["loadType"] == "error"
    data = body["data"]
    assert isinstance(data, dict)
    assert (data["message"], data["severity"]) == ("Unknown file format.", "common")


async def test_noise_on_disk_is_an_unknown_format(node: RunningNode, tmp_path: Path) -> None:
    noise = tmp_path / "local-noise.mp3"
    noise.write_bytes(np.random.default_rng(3).integers(0, 256, 300_000, dtype=np.uint8).tobytes())
    body = await load(node, str(noise))
    assert body["loadType"] == "error"


async def test_real_files_and_live_streams_still_load(node: RunningNode, media_url: str) -> None:
    song = await load(node, f"{media_url}/media/song.mp3")
    assert song["loadType"] == "track"
    radio = await load(node, f"{media_url}/radio")
    assert radio["loadType"] == "track"
    info = radio["data"]["info"]  # type: ignore[index]
    assert info["isStream"] is True and info["author"] == "Test FM"
