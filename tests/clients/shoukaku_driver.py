"""Shoukaku (npm) as a `scenario.Driver`: tests/clients/js/driver.mjs runs it in node, one JSON command per line.

`scripts/test.sh` installs the pinned packages (`npm ci` in tests/clients/js) before the suite runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from tests.clients.scenario import EVENT_TIMEOUT, GUILD
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, RunningNode

JS_DIR = Path(__file__).parent / "js"


class DriverError(Exception):
    pass


class NodeProcess:
    """The driver script's process: numbered commands out, replies matched to them, events queued."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.log: list[dict[str, Any]] = []
        self._replies: dict[int, asyncio.Future[Any]] = {}
        self._next_id = 0
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            message = json.loads(line)
            self.log.append(message)
            if "id" not in message:
                self.events.put_nowait(message)
                continue
            reply = self._replies.pop(message["id"])
            if message["ok"]:
                reply.set_result(message["result"])
            else:
                reply.set_exception(DriverError(message["error"]))
        for reply in self._replies.values():
            reply.set_exception(DriverError(f"node exited: {self.process.returncode}"))

    async def call(self, cmd: str, **args: Any) -> Any:
        assert self.process.stdin is not None
        self._next_id += 1
        reply = asyncio.get_running_loop().create_future()
        self._replies[self._next_id] = reply
        self.process.stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **args}).encode() + b"\n")
        await self.process.stdin.drain()
        return await asyncio.wait_for(reply, EVENT_TIMEOUT)

    async def event(self, name: str, timeout: float = EVENT_TIMEOUT) -> dict[str, Any]:
        async def find() -> dict[str, Any]:
            while True:
                message = await self.events.get()
                if message["event"] == name:
                    return dict(message["data"])

        return await asyncio.wait_for(find(), timeout)

    async def close(self) -> None:
        with contextlib.suppress(DriverError, TimeoutError, ConnectionError):
            await self.call("exit")
        try:
            await asyncio.wait_for(self.process.wait(), EVENT_TIMEOUT)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        await self._reader


class ShoukakuDriver:
    def __init__(self, js: NodeProcess) -> None:
        self.js = js
        self.guild = str(GUILD)

    async def join(self, server: FakeVoiceServer) -> None:
        voice = {"endpoint": server.endpoint, "token": server.token, "sessionId": server.session_id}
        await self.js.call("join", guildId=self.guild, channelId=str(server.channel_id), voice=voice)

    async def load(self, identifier: str) -> tuple[str, str]:
        result = await self.js.call("load", identifier=identifier)
        assert result["loadType"] == "track", result
        return str(result["data"]["encoded"]), str(result["data"]["info"]["title"])

    async def play(self, encoded: str) -> None:
        await self.js.call("play", guildId=self.guild, encoded=encoded)

    async def wait_track_start(self) -> str:
        return str((await self.js.event("start"))["track"]["info"]["title"])

    async def wait_track_end(self, timeout: float) -> str:
        return str((await self.js.event("end", timeout))["reason"])

    async def pause(self, paused: bool) -> None:
        await self.js.call("pause", guildId=self.guild, paused=paused)

    async def set_volume(self, volume: int) -> None:
        await self.js.call("volume", guildId=self.guild, volume=volume)

    async def seek(self, position_ms: int) -> None:
        await self.js.call("seek", guildId=self.guild, position=position_ms)

    async def set_timescale(self, speed: float) -> None:
        await self.js.call("timescale", guildId=self.guild, timescale={"speed": speed})

    async def remote_player(self) -> dict[str, Any]:
        return dict((await self.js.call("state", guildId=self.guild))["remote"])

    async def destroy(self) -> None:
        await self.js.call("leave", guildId=self.guild)

    async def remote_players(self) -> list[Any]:
        return list(await self.js.call("players"))

    async def stats_uptime_ms(self) -> int | None:
        uptime = await self.js.call("statsUptime")
        return None if uptime is None else int(uptime)


@contextlib.asynccontextmanager
async def shoukaku_driver(
    node: RunningNode, server: FakeVoiceServer, *, port: int | None = None, options: dict[str, Any] | None = None
) -> AsyncIterator[ShoukakuDriver]:
    """Shoukaku connected to `node` (or to `port` on 127.0.0.1, e.g. a proxy in front of it), with extra options."""
    executable = shutil.which("node")
    assert executable is not None, "node (v18+) is needed: scripts/test.sh installs it"
    assert (JS_DIR / "node_modules" / "shoukaku").is_dir(), "run scripts/test.sh (npm ci in tests/clients/js)"
    process = await asyncio.create_subprocess_exec(
        executable,
        str(JS_DIR / "driver.mjs"),
        cwd=JS_DIR,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    js = NodeProcess(process)
    try:
        url = node.url.removeprefix("http://") if port is None else f"127.0.0.1:{port}"
        ready = await js.call("connect", url=url, password=node.password, userId=USER_ID, options=options or {})
        assert ready["resumed"] is False
        yield ShoukakuDriver(js)
    finally:
        await js.close()
