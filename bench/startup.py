"""Start-up and idle cost of the node beside a floor, in one run (issue 11).

For each variant, alternating runs (A B A B ...), medians:
- *start -> first answer*: from spawning the process to the first 200 on `GET /version` (polled every 5 ms);
- *idle RSS*: the process's resident memory 1 s after that answer;
- *RSS per session*: (RSS with N idle WebSocket sessions - idle RSS) / N;
- *CPU of N idle sessions*: the process's user+system CPU over `--idle-seconds` with the N sessions open.

Variants: `node` (this checkout: `python -m lavalink_py`), `floor` (a bare aiohttp app: one `/version` route and
a WebSocket route that only holds the socket), `base` when `--baseline DIR` names another checkout (e.g. a
`git archive` of main) run with the same interpreter, and `nodelink` when `--nodelink DIR` names a prepared
NodeLink checkout. The clients live in this process; their CPU is not counted.

    python -m bench.startup --runs 3 --sessions 1000 --idle-seconds 55 [--baseline /tmp/base] [--nodelink DIR]

Preparing DIR for `--nodelink` (by hand, outside this repository; nothing of NodeLink is committed here):
1. A checkout of github.com/PerformanC/NodeLink (issue 11 used v2.3.0), e.g. `git archive v2.3.0 | tar -x -C DIR`.
2. `npm install` in DIR. Without github.com (only the npm registry reachable), point its git dependencies elsewhere
   in DIR/package.json: `@flat/lame` and `node-libsamplerate` to the registry's `^1.2.8` / `^1.0.0`,
   `@performanc/pwsl-server` to `file:` a copy of PerformanC/Internals' `PWSL-server` branch, and add
   `"overrides": {"@performanc/pwsl": "file:<a copy of its PWSL branch>"}` (what `@performanc/voice` needs).
   Without nodejs.org (node headers), `npm install --ignore-scripts`, then build the two native addons against
   the system's headers: `node-gyp rebuild --nodedir=/usr` in node_modules/@flat/lame, and in
   node_modules/node-libsamplerate `cmake-js compile -G "Unix Makefiles"
   --CDCMAKE_CXX_FLAGS=-I<DIR>/node_modules/node-addon-api` with ~/.cmake-js/node-x64/v<node version>/include/node
   linked to /usr/include/node (NodeLink requires both at start with its default `nativePlayback: true`).
3. In DIR/config.js: `server.port` to a free port (the bench reads it from there; `server.password` must be
   `youshallnotpass`), `options.logFile: false`, and every source that reaches the network when the first client
   connects off (`youtube`, `spotify`, `soundcloud` (it fetches a client id), `flowery`, `genius`, `bandcamp`).
   Its `http` source, which needs TLS HTTP/2 to a remote host, is off by default; leave it so. Its
   `statsInterval` and `playerUpdateInterval` are `false` by default: it sends nothing to idle sessions.
4. Check: `node --dns-result-order=ipv4first --openssl-legacy-provider src/connection/index.js` in DIR answers
   `GET /version` on that port.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import resource
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "youshallnotpass"

FLOOR_APP = """
import sys
from aiohttp import web

async def version(request):
    return web.Response(text="4.0.0")

async def websocket(request):
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for _ in ws:
        pass
    return ws

app = web.Application()
app.router.add_get("/version", version)
app.router.add_get("/v4/websocket", websocket)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


@dataclass
class Figures:
    start_s: list[float] = field(default_factory=list)
    idle_rss: list[int] = field(default_factory=list)
    per_session: list[float] = field(default_factory=list)
    idle_cpu_s: list[float] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


NODELINK_START = ["node", "--dns-result-order=ipv4first", "--openssl-legacy-provider", "src/connection/index.js"]


def nodelink_port(tree: Path) -> int:
    """The port NodeLink listens on: its config.js has no environment override, so the operator sets it there."""
    found = re.search(r"\bport:\s*(\d+)", (tree / "config.js").read_text())
    if found is None:
        raise SystemExit(f"no server.port in {tree / 'config.js'}")
    return int(found.group(1))


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _command(variant: str, port: int, tree: Path) -> tuple[list[str], dict[str, str], Path]:
    env = {**os.environ, "SERVER_PORT": str(port), "SERVER_ADDRESS": "127.0.0.1", "LOGGING_LEVEL_ROOT": "WARN"}
    if variant == "nodelink":
        return NODELINK_START, env, tree
    if variant == "floor":
        return [sys.executable, "-c", FLOOR_APP, str(port)], env, ROOT
    env["PYTHONPATH"] = str(tree)
    return [sys.executable, "-m", "lavalink_py", "--config", str(ROOT / "application.yml")], env, tree


async def _first_answer(http: aiohttp.ClientSession, port: int, proc: asyncio.subprocess.Process) -> None:
    while True:
        if proc.returncode is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            async with http.get(f"http://127.0.0.1:{port}/version", headers={"Authorization": PASSWORD}) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.005)


async def _open_sessions(http: aiohttp.ClientSession, port: int, n: int) -> list[aiohttp.ClientWebSocketResponse]:
    # An 18-digit snowflake: NodeLink refuses a User-Id of another length (400).
    headers = {"Authorization": PASSWORD, "User-Id": "123456789012345678", "Client-Name": "bench/1"}
    sockets: list[aiohttp.ClientWebSocketResponse] = []
    for start in range(0, n, 50):  # in batches: a busy machine refuses a 1,000-connection burst
        batch = [
            http.ws_connect(f"http://127.0.0.1:{port}/v4/websocket", headers=headers, autoping=True)
            for _ in range(start, min(n, start + 50))
        ]
        sockets.extend(await asyncio.gather(*batch))
    return sockets


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def _drain(sockets: list[aiohttp.ClientWebSocketResponse]) -> None:
    # Read what the server sends (ready, stats) so its writes never back up.
    async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
        async for _ in ws:
            pass

    await asyncio.gather(*(read(ws) for ws in sockets), return_exceptions=True)


async def one_run(variant: str, tree: Path, sessions: int, idle_s: float, out: Figures) -> None:
    if variant == "nodelink":
        port = nodelink_port(tree)
        for _ in range(200):  # the previous run's socket may linger a moment
            if _port_free(port):
                break
            await asyncio.sleep(0.05)
    else:
        port = _free_port()
    command, env, cwd = _command(variant, port, tree)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            await asyncio.wait_for(_first_answer(http, port, proc), 60)
            out.start_s.append(time.perf_counter() - started)
            ps = psutil.Process(proc.pid)
            await asyncio.sleep(1.0)
            idle = ps.memory_info().rss
            out.idle_rss.append(idle)
            if sessions:
                sockets = await _open_sessions(http, port, sessions)
                reader = asyncio.create_task(_drain(sockets))
                await asyncio.sleep(3.0)  # the `ready` and first `stats` of every session are out
                out.per_session.append((ps.memory_info().rss - idle) / sessions)
                cpu_before = _cpu_s(ps)
                await asyncio.sleep(idle_s)
                out.idle_cpu_s.append(_cpu_s(ps) - cpu_before)
                for ws in sockets:
                    await ws.close()
                reader.cancel()
        finally:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def _compile(tree: Path) -> None:
    """As scripts/serve.sh does at install, so that no measured start compiles our sources: with
    PYTHONDONTWRITEBYTECODE set (some machines set it) every start would otherwise compile all ~270 modules."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", "lavalink_py"], cwd=tree, check=True)
    if (tree / "lavalink_py" / "code_cache.py").exists():  # and the dataclasses' methods (a --baseline may predate it)
        subprocess.run(
            [sys.executable, "-m", "lavalink_py.code_cache", str(ROOT / "application.yml")],
            cwd=tree, check=True, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(tree)},
        )


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _medians(f: Figures) -> tuple[float, float, float, float]:
    return _med(f.start_s), _med([float(r) for r in f.idle_rss]), _med(f.per_session), _med(f.idle_cpu_s)


def report(results: dict[str, Figures], sessions: int, idle_s: float) -> str:
    lines = [
        f"| variant | start -> first /version (runs) | idle RSS | RSS per session ({sessions}) | "
        f"CPU of {sessions} idle sessions over {idle_s:g} s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, f in results.items():
        start, rss, per_session, cpu = _medians(f)
        runs = ", ".join(f"{s:.2f}" for s in f.start_s)
        lines.append(
            f"| {name} | {start:.2f} s ({runs}) | {rss / 2**20:.1f} MiB | {per_session / 1024:.1f} KiB | {cpu:.2f} s |"
        )
    node = _medians(results["node"])
    for peer in ("nodelink", "floor"):
        if peer in results:
            ratios = [f"{a / b:.2f}x" if b else "-" for a, b in zip(node, _medians(results[peer]), strict=True)]
            lines.append(f"| node / {peer} | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def raise_nofile() -> None:
    """1,000 sockets on each side need more than the default soft limit of open files."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--idle-seconds", type=float, default=55.0)
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--nodelink", type=Path, help="a NodeLink checkout prepared as above, to measure beside")
    args = parser.parse_args()
    raise_nofile()
    variants: dict[str, Path] = {"node": ROOT, "floor": ROOT}
    if args.baseline is not None:
        variants["base"] = args.baseline.resolve()
    if args.nodelink is not None:
        variants["nodelink"] = args.nodelink.resolve()
    for name in ("node", "base"):
        if name in variants:
            _compile(variants[name])
    results = {name: Figures() for name in variants}
    load_before = os.getloadavg()
    began = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    for run in range(args.runs):
        for name, tree in variants.items():
            await one_run(name, tree, args.sessions, args.idle_seconds, results[name])
            print(f"run {run + 1}/{args.runs} {name}: start {results[name].start_s[-1]:.2f} s", file=sys.stderr)
    load_after = os.getloadavg()
    print(
        f"{began}-{time.strftime('%H:%M', time.gmtime())} UTC, {os.cpu_count()} cores, load average "
        f"{load_before[0]:.1f} before / {load_after[0]:.1f} after, medians of {args.runs} alternating runs\n"
    )
    print(report(results, args.sessions, args.idle_seconds))


if __name__ == "__main__":
    asyncio.run(main())
