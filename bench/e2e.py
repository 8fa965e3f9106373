"""End-to-end benchmark: the audio engine's benchmark, through the node's API and the Discord voice path.

    python -m bench.e2e --players 10,25,50,100 --seconds 15

For each workload (MP3 44.1 kHz -> Opus transcoding; Ogg/Opus 48 kHz passthrough), each N and each path, one
worker process runs the real node in-process (build_app on 127.0.0.1:0, local files) and one raw Lavalink client
session that PATCHes N players; CPU and RSS are that process's (the client in it only sends N+N PATCHes and
reads the periodic playerUpdates). With voice, each player's voice state names its own fake Discord voice
server (DAVE on, one listener), all of them in a grandchild process so their decryption is not the node's CPU;
the node trusts their test CA through SSL_CERT_FILE. Without voice, a counting sink stands where the voice
connection would be. Cases run one at a time, each after up to --quiet-wait s for the shared machine to calm
down (the CPU that other processes still use in the window is reported); a path stops growing N once a case
loses more than 5 % of frames.
The table goes to stdout and, with the command, into BENCHMARKS.md's section "## End to end through the voice path".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.e2e_media import WORKLOADS, write_source
from bench.e2e_report import markdown_section, print_table, write_section

TRACK_MARGIN_S = 40.0  # the track outlasts voice setup, the first frames, warm-up and the window
GIVE_UP_MISSING_PCT = 5.0
CASE_TIMEOUT_S = 300.0
QUIET_MACHINE_PCT = 40.0  # of all cores: below this the neighbours leave the node most of a core or more


def worker(args: argparse.Namespace) -> None:
    if args.switch_interval_ms:
        # An experiment, not the node's default: how often a waiting thread (the frame clock's) gets the GIL.
        sys.setswitchinterval(args.switch_interval_ms / 1000)
    from bench.e2e_node import run_case

    result = asyncio.run(run_case(Path(args.source), args.n, args.seconds, bool(args.voice)))
    print(json.dumps(result))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_for_quiet(limit_s: float) -> None:
    """Gives neighbours' bursts (test suites, other benchmarks) up to `limit_s` to pass before a case starts;
    whatever load remains is measured and reported with the case, not hidden."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and psutil.cpu_percent(interval=1.0) > QUIET_MACHINE_PCT:
        pass


def spawn(workload: str, source: Path, n: int, voice: bool, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.e2e", "--worker", "--source", str(source), "--n", str(n)]
    cmd += ["--seconds", str(args.seconds), "--voice", str(int(voice))]
    cmd += ["--switch-interval-ms", str(args.switch_interval_ms)]
    wait_for_quiet(args.quiet_wait)
    load = load_average()
    started = time.monotonic()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=CASE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"players": n, "error": f"timed out after {CASE_TIMEOUT_S:.0f} s", "load": load}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"players": n, "error": done.stderr.strip().splitlines()[-1:] or ["no output"], "load": load}
    result = dict(json.loads(lines[-1]))
    result.update(workload=workload, voice=voice, load=load, case_s=round(time.monotonic() - started, 1))
    return result


def lost_pct(result: dict[str, Any]) -> float:
    if "error" in result:
        return 100.0
    fake = result.get("fake", {})
    return float(max(result["missing_pct"], fake.get("missing_pct", 0.0)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--players", default="10,25,50,100")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workloads", default="transcode,passthrough")
    parser.add_argument("--paths", default="none,voice", help="none (counting sink) and/or voice")
    parser.add_argument("--media-dir", default=str(Path(tempfile.gettempdir()) / "lavalink_py_e2e"))
    parser.add_argument("--benchmarks", default="BENCHMARKS.md", help="file to write the section into; '' = none")
    parser.add_argument(
        "--switch-interval-ms", type=float, default=0.0, help="sys.setswitchinterval in the node (0: Python's 5 ms)"
    )
    parser.add_argument("--quiet-wait", type=float, default=10.0, help="seconds to wait for a quieter machine")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--voice", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    counts = [int(x) for x in args.players.split(",")]
    results: list[dict[str, Any]] = []
    started = time.monotonic()
    for workload in args.workloads.split(","):
        assert workload in WORKLOADS, f"unknown workload {workload}"
        source = write_source(Path(args.media_dir), workload, args.seconds + TRACK_MARGIN_S)
        for path in args.paths.split(","):
            for n in counts:
                result = spawn(workload, source, n, path == "voice", args)
                result.update(workload=workload, voice=path == "voice")
                results.append(result)
                print(json.dumps(result), file=sys.stderr, flush=True)
                if lost_pct(result) > GIVE_UP_MISSING_PCT:
                    break
    command = "python -m bench.e2e " + " ".join(sys.argv[1:])
    print_table(results)
    if args.benchmarks:
        write_section(Path(args.benchmarks), markdown_section(results, command, time.monotonic() - started))


if __name__ == "__main__":
    main()
