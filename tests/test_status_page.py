"""The live status page in a real headless Chromium: it logs in with the password, shows a playing player whose
position advances (pushed by the node), escapes what a client put in a title, and refuses a wrong password.
A screenshot is written to build/screenshots/status-page.png for the reviewer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.chromium import Page, chromium_page
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import serve_directory, write_audio
from tests.node import PASSWORD, USER_ID, RunningNode, connect

GUILD = 4242
HOSTILE_TITLE = '<img src=x onerror="window.pwned=1">Sweep'
SCREENSHOT = Path(__file__).resolve().parent.parent / "build" / "screenshots" / "status-page.png"
POSITION = "Number(document.querySelector('#players [data-field=position]')?.dataset.ms ?? -1)"


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@pytest.fixture
async def media_url(tmp_path: Path) -> AsyncIterator[str]:
    write_audio(tmp_path / "long.mp3", 60.0, title=HOSTILE_TITLE, artist="Tests")
    async with serve_directory(tmp_path) as url:
        yield url


async def log_in(page: Page, node: RunningNode, password: str) -> None:
    await page.navigate(f"{node.url}/status")
    await page.evaluate(
        f"document.getElementById('password').value = {password!r}; document.getElementById('login').requestSubmit()"
    )


async def test_the_page_shows_a_playing_player_live(node: RunningNode, media_url: str) -> None:
    async with aiohttp.ClientSession() as http, FakeVoiceServer(
        guild_id=GUILD, node_user_id=int(USER_ID), listener_ids=(444,)
    ) as server:
        socket, ready, _ = await connect(http, node)
        params = {"identifier": f"{media_url}/long.mp3"}
        async with http.get(f"{node.url}/v4/loadtracks", params=params, headers=node.auth) as response:
            encoded = (await response.json())["data"]["encoded"]
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        body = {"voice": server.voice_state(), "track": {"encoded": encoded}, "volume": 80}
        async with http.patch(player_url, json=body, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackStartEvent")
        async with http.get(player_url, headers=node.auth) as response:
            frames = (await response.json())["frames"]  # lavalink_py's extra field (docs/endpoints.md)
        assert set(frames["lost"]) == {"sourceUnderrun", "encoderLate", "sendLate", "eventLoopLag", "gcPause"}
        assert frames["opusComplexity"] in (None, 10)  # None until the first batch is encoded

        async with chromium_page() as page:
            await log_in(page, node, PASSWORD)
            await page.wait_for("document.getElementById('state').textContent === 'live'")
            first = await page.wait_for(f"{POSITION} > 0 && {POSITION}", 60)
            later = await page.wait_for(f"{POSITION} > {first} && {POSITION}", 60)
            assert later > first
            row = await page.evaluate("document.querySelector('#players tr').innerText")
            assert str(GUILD) in row and ready["sessionId"] in row and "80" in row
            # The title is shown as text: no element, no script ran.
            track = await page.evaluate("document.querySelector('#players [data-field=track]').textContent")
            assert HOSTILE_TITLE in track
            assert await page.evaluate("document.querySelectorAll('#players img').length") == 0
            assert await page.evaluate("window.pwned === undefined") is True
            clock = await page.evaluate("document.getElementById('clock').textContent")
            assert "missed:" in clock and "by source underrun" in clock and "by event-loop lag" in clock
            assert "by encoder late" in clock and "by send late" in clock and "by GC pause" in clock
            # An MP3 at volume 80 is encoded: at opusEncodingQuality, or lower if this machine is overloaded now.
            assert re.search(r"Opus complexity \d+ \(\d+ overload steps down\)", clock)
            cells = await page.evaluate("[...document.querySelectorAll('#players tr td')].map(td => td.textContent)")
            assert cells[-1].isdigit()  # the player's own encoder complexity, after its five loss causes
            sessions = await page.evaluate("document.getElementById('sessions').innerText")
            assert ready["sessionId"] in sessions
            assert await page.evaluate("document.getElementById('health').rows.length") >= 5
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            SCREENSHOT.write_bytes(await page.screenshot())
        await socket.close()
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_a_wrong_password_is_refused_and_the_stream_needs_the_password(node: RunningNode) -> None:
    async with chromium_page() as page:
        await log_in(page, node, "not the password")
        await page.wait_for("document.getElementById('state').textContent === 'wrong password'")
        assert await page.evaluate("document.getElementById('live').hidden") is True
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{node.url}/v4/status/stream") as response:
            assert response.status == 401
        async with http.get(f"{node.url}/status") as response:
            assert response.status == 200
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            html = await response.text()
    # No external assets: the page works offline.
    assert "http://" not in html and "https://" not in html and "src=" not in html
