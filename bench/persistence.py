"""Persistence costs: a checkpoint per player (the snapshot on the event loop, the SQLite write in its thread), and
restart to first packet (a real node process with players playing into the fake Discord voice servers, stopped by
SIGTERM or kill -9, started again in the same directory: how long until each voice server gets audio again).

    python -m bench.persistence --players 10,100,1000 --restarts 3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import signal
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import psutil

from lavalink_py.audio import AudioEngine
from lavalink_py.player.services import BackgroundTasks, DiscordVoice, PlayerServices
from lavalink_py.protocol.player_update import VoiceState
from lavalink_py.protocol.track import Track, TrackInfo
from lavalink_py.protocol.track_codec import decode_track, encode_track
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.persistence.snapshot import take_snapshot
from lavalink_py.sessions.persistence.store import SessionStore
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.media import write_audio
from tests.persistence.test_restart import (
    GUILDS,
    LISTENER,
    RATE,
    TRACK_S,
    NodeDir,
    free_port,
    linear_sweep,
    start_players,
    voice_servers,
)

PLAYERS_PER_SESSION = 10


async def _no_stream(info: TrackInfo) -> object:
    raise RuntimeError("not opened in this benchmark")


async def checkpoint_cost(players: int, reps: int, directory: Path) -> tuple[float, float]:
    """(snapshot µs per player on the loop, write µs per player in the thread), medians over `reps`."""
    services = PlayerServices(AudioEngine(), _no_stream, DiscordVoice(), BackgroundTasks())  # type: ignore[arg-type]
    manager = SessionManager(services)
    info = TrackInfo(
        "A Title Of Usual Length",
        "Some Artist",
        215_000,
        "bench-identifier",
        False,
        "https://example.com/watch?v=bench",
        "http",
    )
    encoded = encode_track(info)
    track = Track(encoded, decode_track(encoded), {}, {"requester": "123456789012345678", "queue": 7})
    for s in range(max(1, players // PLAYERS_PER_SESSION)):
        session = manager.new_session(f"bench{s:011d}", 170939974227591168, "bench/1.0")
        session.resuming = True
        manager.adopt_paused(session, 3600)
        for g in range(min(players, PLAYERS_PER_SESSION)):
            player = session.get_or_create_player(1_000_000 + s * 100 + g)
            player.track = track
            player.voice = VoiceState("t" * 24, "c-fra06-abcdef01.discord.media:443", "s" * 32, "123456789012345678")
    store = SessionStore(directory / f"bench-{players}.sqlite3")
    snaps, writes = [], []
    snapshot = take_snapshot(manager, int(time.time() * 1000))
    for _ in range(reps):
        started = time.perf_counter()
        snapshot = take_snapshot(manager, int(time.time() * 1000))
        snaps.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.to_thread(store.write, snapshot)
        writes.append(time.perf_counter() - started)
    store.close()
    manager.shutdown()
    n = sum(len(s.players) for s in snapshot)
    return statistics.median(snaps) / n * 1e6, statistics.median(writes) / n * 1e6


@dataclass
class Restart:
    """Seconds from spawning the new process (medians over the playing players where per player)."""

    first_log: float  # the interpreter up, lavalink_py and its plugins imported, the config read
    restored: float  # the store read and the players restored (their voice connections and tracks started)
    listening: float  # the server accepts connections
    identified: float  # the voice server got the kept state's Identify
    first_packet: float  # the voice server got audio
    last_packet: float  # the last player's first packet


def _log_times(log: str, since: float) -> dict[str, float]:
    """Wall times of the new process's milestones in the node's log (lines stamped `YYYY-mm-dd HH:MM:SS.mmm`)."""
    marks: dict[str, float] = {}
    for line in log.splitlines():
        try:
            stamp = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").astimezone().timestamp()
        except ValueError:
            continue
        if stamp < since:
            continue
        marks.setdefault("first_log", stamp)
        if "persistence: restored" in line:
            marks.setdefault("restored", stamp)
        if " listening on " in line:
            marks.setdefault("listening", stamp)
    return marks


async def restart_to_first_packet(kill: bool, directory: Path) -> Restart:
    port = free_port()
    (directory / "application.yml").write_text(
        f"server:\n  port: {port}\n  address: 127.0.0.1\n"
        "lavalink:\n  server:\n    password: youshallnotpass\n    playerUpdateInterval: 1\n"
        "    sources:\n      local: true\n"
        "persistence:\n  path: sessions.sqlite3\n"
    )
    media = write_audio(directory / "sweep.flac", samples=linear_sweep(TRACK_S), rate=RATE, title="Sweep")
    node = NodeDir(directory, port, media)
    process = await node.start()
    try:
        async with voice_servers() as servers, aiohttp.ClientSession() as http:
            started = await start_players(http, node, servers)
            if kill:
                await asyncio.sleep(1.5)
                process.kill()
            else:
                process.send_signal(signal.SIGTERM)
            await process.wait()
            await started.socket.close()
            playing = GUILDS[:-1]
            packets = {guild: len(servers[guild].packets) for guild in playing}
            identifies = {guild: servers[guild].identifies for guild in playing}
            since = time.time()
            t0 = time.perf_counter()
            process = await node.start()
            firsts: dict[int, float] = {}
            identified: dict[int, float] = {}
            async with asyncio.timeout(120):
                while len(firsts) < len(playing):
                    now = time.perf_counter() - t0
                    for guild in playing:
                        if guild not in identified and servers[guild].identifies > identifies[guild]:
                            identified[guild] = now
                        if guild not in firsts and len(servers[guild].packets) > packets[guild]:
                            firsts[guild] = now
                    await asyncio.sleep(0.002)
            assert servers[GUILDS[0]].listeners[LISTENER].dave_failures == 0
            marks = {k: v - since for k, v in _log_times(node.log(), since).items()}
            return Restart(
                marks["first_log"],
                marks["restored"],
                marks["listening"],
                statistics.median(identified.values()),
                statistics.median(firsts.values()),
                max(firsts.values()),
            )
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", default="10,100,1000")
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--restarts", type=int, default=3)
    args = parser.parse_args()
    os.environ["SSL_CERT_FILE"] = str(FakeVoiceServer.ca_file())
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}, other CPU now: {psutil.cpu_percent(1.0)} %")
    with tempfile.TemporaryDirectory() as tmp:
        print(
            "| players | snapshot µs per player (event loop) | write µs per player (thread) | write ms per checkpoint |"
        )
        print("| --- | --- | --- | --- |")
        for n in (int(x) for x in args.players.split(",") if x):
            snap, write = await checkpoint_cost(n, args.reps, Path(tmp))
            print(f"| {n} | {snap:.1f} | {write:.1f} | {write * n / 1000:.2f} |")
    print(f"\nrestart to first packet, {len(GUILDS) - 1} playing players + 1 paused, {args.restarts} runs each;")
    print("seconds from spawning the new process, medians over runs (per-player figures: the median player)")
    print(
        "| stop | first log line (imports done) | restored | listening | voice Identify | first packet "
        "| last player's first packet (median / max) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kill in (False, True):
        runs: list[Restart] = []
        for _ in range(args.restarts):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(await restart_to_first_packet(kill, Path(tmp)))
        stop = "kill -9" if kill else "SIGTERM"

        def median(field: str, runs: list[Restart] = runs) -> float:
            return float(statistics.median(getattr(run, field) for run in runs))

        print(
            f"| {stop} | {median('first_log'):.2f} | {median('restored'):.2f} | {median('listening'):.2f} "
            f"| {median('identified'):.2f} | {median('first_packet'):.2f} "
            f"| {median('last_packet'):.2f} / {max(run.last_packet for run in runs):.2f} |"
        )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
