"""lavalink-client (npm), a real client library, drives the three bundled plugins through its own calls
(tests/js/bundled_plugins.mjs): node.lavaSearch, node.lyrics.get / getCurrent / subscribe / unsubscribe,
player.setSponsorBlock / getSponsorBlock / deleteSponsorBlock. scripts/test.sh installs it (npm ci in tests/js)."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.lyrics_services import FakeLrclib, serve
from tests.node import USER_ID, NodeFactory

JS = Path(__file__).resolve().parents[2] / "js"
GUILD = "777"


async def run_client(*args: str) -> dict[str, Any]:
    node_bin = shutil.which("node")
    assert node_bin is not None, "Node.js is needed: scripts/test.sh installs it"
    assert (JS / "node_modules" / "lavalink-client").is_dir(), "run `npm ci --prefix tests/js` (scripts/test.sh does)"
    process = await asyncio.create_subprocess_exec(
        node_bin, str(JS / "bundled_plugins.mjs"), *args, cwd=JS,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, stderr.decode()
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return result


async def test_lavalink_client_drives_search_lyrics_and_sponsorblock(
    make_node: NodeFactory, bundled_config: Callable[..., dict[str, Any]], http: aiohttp.ClientSession,
) -> None:
    lrclib = FakeLrclib([{"id": 9, "trackName": "Sweep", "artistName": "Test Tones", "albumName": "", "duration": 6,
                          "instrumental": False, "plainLyrics": "Hello", "syncedLyrics": "[00:00.50] Hello"}])
    async with serve(lrclib.app()) as lrclib_url:
        # plugins.lavasrc loads the bundled lavasrc-plugin (no source on): lavalink-client's checks want its name.
        node = await make_node(bundled_config({"fakeyt": {"lyrics": True}, "lavasrc": {},
                                               "lavalyrics": {"lrclib": {"baseUrl": lrclib_url}}}))
        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": "fakeyt:abc"},
                            headers=node.auth) as response:
            encoded = (await response.json())["data"]["encoded"]
        out = await run_client(node.url, node.password, USER_ID, GUILD, encoded)

    # The names lavalink-client's plugin checks look for (they are on: a missing one would fail the calls below).
    assert {"lavasrc-plugin", "lavasearch-plugin", "lavalyrics-plugin", "sponsorblock-plugin"} <= set(out["plugins"])
    search = out["search"]["ok"]
    assert [t["info"]["title"] for t in search["tracks"]] == ["tones one", "tones two"]
    assert search["tracks"][0]["info"]["sourceName"] == "youtube" and search["albums"] == []
    # The track's own source first; with skipTrackSource, LRCLIB.
    assert out["lyrics"]["ok"]["sourceName"] == "youtube"
    assert "ok" in out["currentLyrics"], out["currentLyrics"]
    current = out["currentLyrics"]["ok"]
    assert (current["sourceName"], current["lines"]) == (
        "lrclib", [{"timestamp": 500, "duration": None, "line": "Hello", "plugin": {}}])
    assert "error" not in out["subscribe"] and "error" not in out["unsubscribe"], out
    assert "error" not in out["setSponsorBlock"], out["setSponsorBlock"]
    assert out["getSponsorBlock"]["ok"] == ["sponsor", "selfpromo"]
    assert "error" not in out["deleteSponsorBlock"], out["deleteSponsorBlock"]
    assert "sponsorblock/categories" in out["getAfterDelete"]["error"]  # 404 once deleted: lavalink-client throws
