"""Players survive a restart of the node, seen through a real client library: lavalink.py (PyPI `lavalink`)
drives 10 players into the fake Discord voice servers; the node is stopped (SIGTERM, or kill -9) and started again
in the same directory; lavalink.py reconnects by itself with `Session-Id` (its transport keeps the session id and
retries with backoff), its session resumes, and every listener hears its track go on from where it was (read from
the audio: the media is a linear sweep, see test_restart).

The bot's player class only stops lavalink.py from rebuilding its players on the node it resumed: on every
reconnect lavalink.py "moves" each player to the best node, and with one node that is a DELETE and a new PATCH of
the same player (a second TrackStart, the position from its own estimate) whether or not the session resumed.
(Shoukaku 4.3.0 cannot be used for this: its reconnect loop keeps the first failed attempt's error and gives the
node up even when a later attempt connects, so it never survives a node that is down for any time at all.)

No event lost or duplicated: the same script runs once on a node that is never stopped, and each player's events
as the library's session receives them (every `op: event` message) must be the same, in the same order.
The script makes every kind happen, some before the stop, some while the client is away (replayed at its resume)
and some after it:
- before: a short track ends (TrackEnd finished); a track whose file is gone fails (TrackException, TrackEnd
  loadFailed); then every player plays the sweep (TrackStart), the last one paused;
- across the stop: one player's `endTime` falls just after it, so its TrackEnd comes once the node is back;
  the paused player's voice token expires while the node is down (WebSocketClosedEvent 4004, from the kept
  state's Identify; on the uninterrupted node the voice server closes with 4004 at the same step);
- after: a player plays a stream that stalls (TrackStuck), then is released (TrackEnd finished).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import lavalink
import numpy as np
import pytest
from aiohttp import web

from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.node import PASSWORD, USER_ID
from tests.persistence.test_restart import (
    CHECKPOINT_S,
    GUILDS,
    LISTENER,
    RATE,
    TOLERANCE_S,
    Heard,
    NodeDir,
    free_port,
    heard_at_least,
    linear_sweep,
    resumed_at,
    voice_servers,
)

Stop = Literal["none", "sigterm", "kill"]
TIMEOUT_S = 60.0
SWEEP_S = 120.0  # longer than the whole script on a busy machine: no sweep ends by itself (7.5 kHz at its end)
PLAYING = GUILDS[:-1]
PAUSED = GUILDS[-1]
SHORT, FAILING, ENDING, STALLING = GUILDS[0], GUILDS[1], GUILDS[2], GUILDS[3]
END_AFTER_MS = 3000  # ENDING's endTime, past its position just before the stop


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))


@dataclass
class Stall:
    """An HTTP server whose file stops halfway until `release` is set (the player reports TrackStuck)."""

    url: str
    release: asyncio.Event


async def _stall_server(media: Path) -> tuple[web.AppRunner, Stall]:
    stall = Stall("", asyncio.Event())
    data = await asyncio.to_thread(media.read_bytes)

    async def serve(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/flac"})
        response.content_length = len(data)
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):  # the node's probe may hang up before the end
            await response.write(data[: len(data) // 2])
            await stall.release.wait()
            await response.write(data[len(data) // 2 :])
        return response

    app = web.Application()
    app.router.add_get("/stall.flac", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stall.url = f"http://127.0.0.1:{port}/stall.flac"
    return runner, stall


def _node_dir(root: Path) -> NodeDir:
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (root / "application.yml").write_text(
        f"server:\n  port: {port}\n  address: 127.0.0.1\n"
        f"lavalink:\n  server:\n    password: {PASSWORD}\n    playerUpdateInterval: {CHECKPOINT_S}\n"
        "    trackStuckThresholdMs: 500\n    frameBufferDurationMs: 1000\n"
        "    sources:\n      local: true\n      http: true\n"
        "persistence:\n  path: kept/sessions.sqlite3\n"
    )
    (root / "kept").mkdir(exist_ok=True)
    media = write_audio(root / "sweep.flac", samples=linear_sweep(SWEEP_S), rate=RATE, title="Sweep")
    return NodeDir(root, port, media)


class ResumingPlayer(lavalink.DefaultPlayer):  # type: ignore[misc]  # lavalink.py has no type hints
    """The bot's player: it plays what the script says (no queue of its own), and when it is handed to a node
    that resumed its session it keeps the node's player instead of rebuilding it (see the module's docstring)."""

    node: lavalink.Node | None  # DefaultPlayer's, typed here: lavalink.py has no type hints

    async def handle_event(self, event: lavalink.Event) -> None:
        return None  # the script decides what plays next

    async def node_unavailable(self) -> None:
        return None  # the node keeps the player while its session is resumable; no estimate to freeze

    async def change_node(self, node: lavalink.Node) -> None:
        current: lavalink.Node | None = self.node
        if current is not None and node.session_id == current.session_id:
            self.node = node  # the same session, resumed: the node still has this player as it was
            return
        await super().change_node(node)


class Bot:
    """lavalink.py with one node; every message its session receives is kept, in order. When the node's socket
    closes, the node is added again with the session's id (lavalink.py's way to resume: `add_node(session_id=)`;
    its own reconnect loop reuses the handshake headers of its first connection, which had no `Session-Id`), and
    lavalink.py retries it with its backoff until the node is back."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client = lavalink.Client(int(USER_ID))
        self.messages: list[dict[str, Any]] = []
        self.readies: list[bool] = []
        self.closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.client.add_event_hook(self._message, event=lavalink.IncomingWebSocketMessage)
        self.client.add_event_hook(self._ready, event=lavalink.NodeReadyEvent)
        self.client.add_event_hook(self._disconnected, event=lavalink.NodeDisconnectedEvent)
        self.node = self.client.add_node("127.0.0.1", port, PASSWORD, "eu", "lavalink_py")

    async def _message(self, event: lavalink.IncomingWebSocketMessage) -> None:
        self.messages.append(event.data)

    async def _ready(self, event: lavalink.NodeReadyEvent) -> None:
        self.readies.append(event.resumed)

    async def _disconnected(self, event: lavalink.NodeDisconnectedEvent) -> None:
        if not self.closing and event.node is self.node:
            task = asyncio.create_task(self._reconnect(event.node))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _reconnect(self, old: lavalink.Node) -> None:
        session_id = old.session_id
        await old.destroy()
        self.client.node_manager.remove(old)
        self.node = self.client.add_node("127.0.0.1", self.port, PASSWORD, "eu", "lavalink_py", session_id=session_id)

    async def close(self) -> None:
        self.closing = True
        await self.client.close()

    def player(self, guild: int) -> ResumingPlayer:
        player: ResumingPlayer = self.client.player_manager.get(guild)
        return player

    async def join(self, guild: int, server: FakeVoiceServer) -> None:
        """What discord.py hands lavalink.py when the bot joins a channel: the two voice dispatches."""
        player = self.client.player_manager.create(guild, cls=ResumingPlayer)
        await player._voice_state_update(
            {"guild_id": str(guild), "channel_id": str(server.channel_id), "session_id": server.session_id}
        )
        await player._voice_server_update({"guild_id": str(guild), "endpoint": server.endpoint, "token": server.token})

    async def load(self, identifier: str) -> lavalink.AudioTrack:
        result = await self.client.get_tracks(identifier)
        assert result.load_type == lavalink.LoadType.TRACK, result
        track: lavalink.AudioTrack = result.tracks[0]
        return track

    def events(self) -> dict[int, list[tuple[str, Any]]]:
        """Each player's events as the session received them: (type, what distinguishes it)."""
        seen: dict[int, list[tuple[str, Any]]] = {guild: [] for guild in GUILDS}
        for data in self.messages:
            if data.get("op") != "event":
                continue
            seen[int(data["guildId"])].append((data["type"], _detail(data)))
        return seen

    def has(self, guild: int, kind: str, count: int = 1) -> Callable[[], bool]:
        return lambda: sum(1 for t, _ in self.events()[guild] if t == kind) >= count


def _detail(event: dict[str, Any]) -> Any:
    kind = event["type"]
    if kind == "TrackStartEvent":
        return event["track"]["info"]["title"]
    if kind == "TrackExceptionEvent":
        return event["exception"]["message"]
    key = {"TrackEndEvent": "reason", "TrackStuckEvent": "thresholdMs", "WebSocketClosedEvent": "code"}[kind]
    return event[key]


async def until(condition: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


@dataclass
class Run:
    events: dict[int, list[tuple[str, Any]]]
    readies: list[bool]


async def run_script(root: Path, stop: Stop, stall: Stall) -> Run:
    """The script, with the node stopped and started again between the two halves unless `stop` is "none"."""
    node = _node_dir(root)
    gone = write_audio(root / "gone.flac", 2.0, title="Gone")
    short = write_audio(root / "short.flac", 1.0, title="Short")
    stall.release.clear()
    process = await node.start()
    bot = Bot(node.port)
    try:
        async with voice_servers() as servers:
            await until(lambda: bot.readies == [False])
            session_id = bot.node.session_id
            await bot.node.update_session(resuming=True, timeout=60)  # the bot's choice, as in lavalink.py's docs
            for guild, server in servers.items():
                await bot.join(guild, server)
            sweep = await bot.load(str(node.media))
            failing = await bot.load(str(gone))
            gone.unlink()  # loaded, then gone: opening it for play fails
            await bot.player(SHORT).play(await bot.load(str(short)))
            await bot.player(FAILING).play(failing)
            await until(bot.has(SHORT, "TrackEndEvent"))
            await until(bot.has(FAILING, "TrackEndEvent"))
            for guild in PLAYING:
                await bot.player(guild).play(sweep)
            await bot.player(PAUSED).play(sweep, start_time=5000, pause=True)
            for guild in PLAYING:
                listener = servers[guild].listeners[LISTENER]
                await servers[guild].wait_for(heard_at_least(listener, 100), TIMEOUT_S)
            remote = await bot.node.get_player(ENDING)
            await bot.node.update_player(guild_id=ENDING, end_time=remote["state"]["position"] + END_AFTER_MS)

            if stop == "none":
                await servers[PAUSED].close_websocket(4004, "authentication failed")
            else:
                if stop == "sigterm":
                    process.send_signal(signal.SIGTERM)
                    assert await asyncio.wait_for(process.wait(), TIMEOUT_S) == 0
                else:
                    await asyncio.sleep(CHECKPOINT_S * 1.5)  # the endTime is in a checkpoint
                    process.kill()
                    await process.wait()
                before = {guild: Heard.of(servers[guild].listeners[LISTENER]) for guild in PLAYING}
                servers[PAUSED].token = "a-fresh-token"  # Discord no longer takes the kept one
                process = await node.start()
                await until(lambda: len(bot.readies) >= 2)
                assert bot.readies == [False, True]  # lavalink.py's reconnect, with the session's Session-Id
                assert bot.node.session_id == session_id
                # Up to one checkpoint interval behind after kill -9 (plus the write's own time on a busy machine).
                earliest_s = 0.0 if stop == "sigterm" else CHECKPOINT_S + 0.5
                for guild in PLAYING:
                    server, listener = servers[guild], servers[guild].listeners[LISTENER]
                    await server.wait_for(heard_at_least(listener, before[guild].accepted + 60), TIMEOUT_S)
                    heard, stopped = resumed_at(listener, before[guild])
                    assert stopped - earliest_s - TOLERANCE_S <= heard <= stopped + TOLERANCE_S, (guild, heard, stopped)
                    assert listener.dave_failures == 0
                paused = await bot.node.get_player(PAUSED)
                assert (paused["paused"], paused["state"]["position"]) == (True, 5000)

            await until(bot.has(ENDING, "TrackEndEvent"))
            await until(bot.has(PAUSED, "WebSocketClosedEvent"))
            await bot.player(STALLING).play(await bot.load(stall.url))
            await until(bot.has(STALLING, "TrackStuckEvent"))
            stall.release.set()
            await until(bot.has(STALLING, "TrackEndEvent", 2))
            await asyncio.sleep(0.5)  # a late duplicate would show here
            return Run(bot.events(), bot.readies)
    finally:
        await bot.close()
        if process.returncode is None:
            process.kill()
            await process.wait()


_uninterrupted: dict[str, Run] = {}


async def uninterrupted(tmp_path: Path, stall: Stall) -> Run:
    """The script on a node that is never stopped, run once for the module's tests."""
    if "run" not in _uninterrupted:
        _uninterrupted["run"] = await run_script(tmp_path / "uninterrupted", "none", stall)
    return _uninterrupted["run"]


@pytest.fixture
async def stall(tmp_path: Path) -> AsyncIterator[Stall]:
    mono = linear_sweep(4.0)[0]
    media = write_audio(tmp_path / "stall.flac", samples=np.stack([mono, mono]), rate=RATE, title="Stall")
    runner, served = await _stall_server(media)
    yield served
    served.release.set()
    await runner.cleanup()


@pytest.mark.parametrize("stop", ["sigterm", "kill"])
async def test_lavalink_py_gets_its_players_back_with_no_event_lost_or_repeated(
    tmp_path: Path, stall: Stall, stop: Stop
) -> None:
    control = await uninterrupted(tmp_path, stall)
    sweep = ("TrackStartEvent", "Sweep")
    # What the uninterrupted session saw is the script's own outcome: check it, so that the comparison means
    # something (every kind of event happens, where the script puts it).
    assert control.events == {
        SHORT: [("TrackStartEvent", "Short"), ("TrackEndEvent", "finished"), sweep],
        FAILING: [
            ("TrackStartEvent", "Gone"),
            ("TrackExceptionEvent", "Failed to open file for reading."),
            ("TrackEndEvent", "loadFailed"),
            sweep,
        ],
        ENDING: [sweep, ("TrackEndEvent", "finished")],
        STALLING: [
            sweep,
            ("TrackEndEvent", "replaced"),
            ("TrackStartEvent", "Stall"),
            ("TrackStuckEvent", 500),
            ("TrackEndEvent", "finished"),
        ],
        **{guild: [sweep] for guild in GUILDS[4:-1]},
        PAUSED: [sweep, ("WebSocketClosedEvent", 4004)],
    }
    run = await run_script(tmp_path / stop, stop, stall)
    assert run.readies == [False, True]
    assert run.events == control.events
