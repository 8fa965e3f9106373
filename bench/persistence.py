"""Persistence costs: a checkpoint per player (the snapshot on the event loop, the SQLite write in its thread), and
restart to first packet (a real node process with players playing into the fake Discord voice servers, stopped by
SIGTERM or kill -9, started again in the same directory: how long until each voice server gets audio again).

    python -m bench.persistence --players 10,100,1000 --restarts 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import tempfile
import time
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
    info = TrackInfo("A Title Of Usual Length", "Some Artist", 215_000, "bench-identifier", False,
                     "https://example.com/watch?v=bench", "http")
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


async def restart_to_first_packet(kill: bool, directory: Path) -> tuple[float, list[float]]:
    """(process start -> ready s, per playing player: process start -> first packet at its voice server, s)."""
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
            marks = {guild: len(server.packets) for guild, server in servers.items()}
            t0 = time.perf_counter()
            process = await node.start()
            ready_s = time.perf_counter() - t0
            firsts: dict[int, float] = {}
            async with asyncio.timeout(60):
                while len(firsts) < len(GUILDS) - 1:
                    for guild in GUILDS[:-1]:
                        if guild not in firsts and len(servers[guild].packets) > marks[guild]:
                            firsts[guild] = time.perf_counter() - t0
                    await asyncio.sleep(0.002)
            assert servers[GUILDS[0]].listeners[LISTENER].dave_failures == 0
            return ready_s, sorted(firsts.values())
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
        for n in (int(x) for x in args.players.split(",")):
            snap, write = await checkpoint_cost(n, args.reps, Path(tmp))
            print(f"| {n} | {snap:.1f} | {write:.1f} | {write * n / 1000:.2f} |")
    print(f"\nrestart to first packet, {len(GUILDS) - 1} playing players + 1 paused, {args.restarts} runs each")
    print(
        "| stop | process start -> ready s (median) | -> first packet s, median player "
        "| -> last player's first packet s (median / max) |"
    )
    print("| --- | --- | --- | --- |")
    for kill in (False, True):
        readies, medians, lasts = [], [], []
        for _ in range(args.restarts):
            with tempfile.TemporaryDirectory() as tmp:
                ready, firsts = await restart_to_first_packet(kill, Path(tmp))
            readies.append(ready)
            medians.append(statistics.median(firsts))
            lasts.append(firsts[-1])
        stop = "kill -9" if kill else "SIGTERM"
        print(
            f"| {stop} | {statistics.median(readies):.2f} | {statistics.median(medians):.2f} "
            f"| {statistics.median(lasts):.2f} / {max(lasts):.2f} |"
        )
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    asyncio.run(main())
