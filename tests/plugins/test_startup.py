"""Start-up as an operator sees it, on a real process: a broken plugin stops it (exit 2, named), a folder plugin
loads, and a Java Lavalink config's plugin list gets one line per entry."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp

from tests.test_cli import ROOT, _wait_ready, listening_port

EXAMPLE = ROOT / "plugins" / "examples" / "tone.py"


async def start(config: Path, cwd: Path, pythonpath: list[Path], env: dict[str, str] | None = None
                ) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "lavalink_py", "--config", str(config),
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(str(p) for p in [ROOT, *pythonpath])},
    )


async def stop(process: asyncio.subprocess.Process, seen: bytes = b"") -> str:
    """SIGTERM, then all it wrote (`seen`: the stdout already read, e.g. up to its "listening on" line)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    return (seen + stdout + stderr).decode()


# Port 0: the OS picks a free port (no probe-and-close race with parallel runs); the node logs the one it bound.
def write_config(path: Path, port: int = 0, body: str = "") -> Path:
    path.write_text(
        f"server:\n  port: {port}\n  address: 127.0.0.1\n"
        "lavalink:\n  server:\n    password: secret\n" + body
    )
    return path


async def test_a_plugin_that_fails_to_import_stops_start_up_with_exit_2(broken_site: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "application.yml")
    process = await start(config, tmp_path, [broken_site])
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    message = stderr.decode()
    assert "plugin broken" in message
    assert "lavalink_py_broken needs a library that is not installed" in message


async def test_a_plugin_that_fails_in_setup_stops_start_up_naming_it(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "fussy.py").write_text(
        "class Fussy:\n    name = 'fussy'\n    version = '1'\n"
        "    def setup(self, context):\n        raise RuntimeError('fussy wants a token')\n"
        "plugin = Fussy()\n"
    )
    config = write_config(tmp_path / "application.yml")
    process = await start(config, tmp_path, [])
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert "plugin fussy" in stderr.decode() and "fussy wants a token" in stderr.decode()


async def test_a_broken_plugin_switched_off_lets_the_node_start(broken_site: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "application.yml", body="plugins:\n  broken:\n    enabled: false\n")
    process = await start(config, tmp_path, [broken_site])
    seen = bytearray()
    try:
        port = await listening_port(process, seen)
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, f"http://127.0.0.1:{port}")
    finally:
        output = await stop(process, bytes(seen))
    assert process.returncode == 0
    assert "plugin broken" in output and "disabled" in output


async def test_a_plugin_from_the_plugins_folder_loads_and_plays_its_source(tmp_path: Path) -> None:
    (tmp_path / "plugins").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "plugins" / "tone.py")
    config = write_config(tmp_path / "application.yml", body="plugins:\n  tone:\n    seconds: 2\n")
    process = await start(config, tmp_path, [])
    auth = {"Authorization": "secret"}
    try:
        base = f"http://127.0.0.1:{await listening_port(process, bytearray())}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            async with http.get(f"{base}/v4/info", headers=auth) as response:
                info = await response.json()
            assert info["plugins"] == [{"name": "tone", "version": "1.0.0"}]
            async with http.get(f"{base}/v4/loadtracks", params={"identifier": "tonesearch:440 880"},
                                headers=auth) as response:
                found = await response.json()
            assert found["loadType"] == "search"
            assert [t["info"]["length"] for t in found["data"]] == [2000, 2000]
            assert [t["pluginInfo"] for t in found["data"]] == [{"frequencyHz": 440.0}, {"frequencyHz": 880.0}]
            async with http.get(f"{base}/v4/tone/played", headers=auth) as response:
                assert await response.json() == {"played": []}
    finally:
        await stop(process)
    assert process.returncode == 0


JAVA_PLUGINS = """\
  plugins:
    - dependency: "dev.lavalink.youtube:youtube-plugin:1.13.3"
      snapshot: false
    - dependency: "com.github.topi314.lavasrc:lavasrc-plugin:4.3.0"
      repository: "https://maven.lavalink.dev/releases"
    - dependency: "com.github.topi314.lavasearch:lavasearch-plugin:1.0.0"
    - dependency: "com.github.topi314.sponsorblock:sponsorblock-plugin:3.0.1"
plugins:
  youtube:
    enabled: true
    allowSearch: true
    allowDirectVideoIds: true
    allowDirectPlaylistIds: false
    clients: ["MUSIC", "ANDROID_VR", "WEB", "WEBEMBEDDED"]
    oauth:
      enabled: true
      refreshToken: "not-a-real-token"
  lavasrc:
    providers: ['ytsearch:"%ISRC%"', "ytsearch:%QUERY%"]
    sources:
      spotify: true
    spotify:
      clientId: "id"
      clientSecret: "secret"
"""


async def test_a_java_operators_plugin_list_gets_one_line_per_plugin(tmp_path: Path) -> None:
    config = tmp_path / "application.yml"
    config.write_text(
        "server:\n  port: 0\n  address: 127.0.0.1\n"
        "lavalink:\n  server:\n    password: secret\n    sources:\n      youtube: false\n"
        + JAVA_PLUGINS  # lavalink.plugins, beside lavalink.server; then the top-level plugins: blocks
    )
    process = await start(config, tmp_path, [])
    auth = {"Authorization": "secret"}
    seen = bytearray()  # the plugin lines come before "listening on"
    try:
        base = f"http://127.0.0.1:{await listening_port(process, seen)}"
        async with aiohttp.ClientSession() as http:
            await _wait_ready(http, base)
            async with http.get(f"{base}/v4/info", headers=auth) as response:
                info = await response.json()
    finally:
        output = await stop(process, bytes(seen))
    assert process.returncode == 0
    lines = output.splitlines()

    def one(*parts: str) -> str:
        found = [line for line in lines if all(part in line for part in parts)]
        assert len(found) == 1, (parts, found)
        return found[0]

    assert "yt-dlp YouTube source" in one("lavalink.plugins[0]", "youtube-plugin:1.13.3")
    assert "the bundled lavasrc plugin" in one("lavalink.plugins[1]", "lavasrc-plugin:4.3.0")
    assert "bundled lavasearch-plugin" in one("lavalink.plugins[2]", "lavasearch-plugin")
    assert "bundled sponsorblock-plugin" in one("lavalink.plugins[3]", "sponsorblock-plugin")
    one("plugin lavasearch-plugin", "loaded (bundled, stands in for com.github.topi314.lavasearch:lavasearch-plugin)")
    one("plugins.youtube.clients", "not supported")
    one("plugins.youtube.oauth", "not supported")
    one("plugin lavasrc", "loaded (bundled")  # its plugins.lavasrc block configures the bundled stand-in
    # youtube-plugin's stand-in: the YouTube source is on although lavalink.server.sources.youtube is false.
    assert "youtube" in info["sourceManagers"]
    assert "spotify" in info["sourceManagers"]
    # The bundled stand-ins for the declared LavaSrc, LavaSearch and SponsorBlock.
    assert [p["name"] for p in info["plugins"]] == ["lavasrc-plugin", "lavasearch-plugin", "sponsorblock-plugin"]
