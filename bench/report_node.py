"""bench/report.py's start-up and session figures: bench/startup.py's runs (node, a bare aiohttp app, NodeLink when
given), alternating, medians; and `python -X importtime` of the app beside aiohttp's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from bench import startup
from bench.report_common import ROOT, Options, Result, median, ratio
from bench.report_doc import Row

NO_NODELINK = "NodeLink not measured: no --nodelink DIR (bench/startup.py's docstring says how to prepare one)"
LAZY = ("numpy", "av", "yt_dlp", "opentelemetry")  # what a request does not need (issue 11)
MIB, KIB = 2**20, 1024


async def _runs(opts: Options, sessions: int, idle_s: float, runs: int) -> dict[str, startup.Figures]:
    variants: dict[str, Path] = {"node": ROOT, "floor": ROOT}
    if opts.nodelink is not None:
        variants["nodelink"] = opts.nodelink.resolve()
    results = {name: startup.Figures() for name in variants}
    startup.raise_nofile()
    for _ in range(runs):  # alternating: node, floor, nodelink, node, ...
        for name, tree in variants.items():
            await startup.one_run(name, tree, sessions, idle_s, results[name])
    return results


def _peer(results: dict[str, startup.Figures], pick: str, fmt: str, scale: float = 1.0) -> str:
    parts = []
    for name, label in (("floor", "bare aiohttp app"), ("nodelink", "NodeLink")):
        if name in results:
            parts.append(f"{label} {fmt.format(median(getattr(results[name], pick)) / scale)}")
    return "; ".join(parts)


def _versus(results: dict[str, startup.Figures], pick: str) -> tuple[float, float, float | None]:
    """(ours, the floor's, NodeLink's or None): medians of `pick`."""
    node = median([float(v) for v in getattr(results["node"], pick)])
    floor = median([float(v) for v in getattr(results["floor"], pick)])
    nodelink = median([float(v) for v in getattr(results["nodelink"], pick)]) if "nodelink" in results else None
    return node, floor, nodelink


def _ratios(node: float, floor: float, nodelink: float | None) -> str:
    text = f"{ratio(node, floor)} the floor"
    return text if nodelink is None else f"{ratio(node, nodelink)} NodeLink; {text}"


async def start_and_rss(opts: Options) -> Result:
    runs = 1 if opts.quick else opts.runs
    results = await _runs(opts, 0, 0.0, runs)
    start, start_floor, start_nl = _versus(results, "start_s")
    rss, rss_floor, rss_nl = _versus(results, "idle_rss")
    runs_text = ", ".join(f"{s:.2f}" for s in results["node"].start_s)
    rows = [
        Row(
            figure="start → first `/version` answer",
            value=f"{start:.2f} s",
            peer=_peer(results, "start_s", "{:.2f} s"),
            ratio=_ratios(start, start_floor, start_nl),
            goal="≤ NodeLink's, same run",
            met=None if start_nl is None else start <= start_nl,
            note=f"median of {runs} alternating runs ({runs_text} s)" + ("" if start_nl else f"; {NO_NODELINK}"),
            headline=True,
        ),
        Row(
            figure="idle RSS (1 s after the first answer)",
            value=f"{rss / MIB:.1f} MiB",
            peer=_peer(results, "idle_rss", "{:.1f} MiB", MIB),
            ratio=_ratios(rss, rss_floor, rss_nl),
            goal="< 60 MiB",
            met=rss < 60 * MIB,
            note=f"median of {runs} alternating runs",
            headline=True,
        ),
    ]
    return rows, ([] if start_nl else [NO_NODELINK])


def _importtime(module: str) -> tuple[float, dict[str, float]]:
    """`import module` in a fresh interpreter: its cumulative ms, and each top-level package's cumulative ms."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    total, packages = 0.0, {}
    for line in proc.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not found:
            continue
        name, cumulative = found.group(4), int(found.group(2)) / 1000
        if name == module:
            total = cumulative
        elif "." not in name:
            packages[name] = cumulative
    return total, packages


async def imports(opts: Options) -> Result:
    runs = 1 if opts.quick else opts.runs
    node: list[float] = []
    floor: list[float] = []
    packages: dict[str, list[float]] = {}
    for _ in range(runs):  # alternating; the first run of each also compiles any missing bytecode
        total, by_package = _importtime("lavalink_py.app")
        node.append(total)
        for name, ms in by_package.items():
            packages.setdefault(name, []).append(ms)
        floor.append(_importtime("aiohttp.web")[0])
    heaviest = sorted(((median(v), k) for k, v in packages.items() if k != "lavalink_py"), reverse=True)[:6]
    pulled = [name for name in LAZY if name in packages]
    row = Row(
        figure="`import lavalink_py.app`",
        value=f"{median(node):.0f} ms",
        peer=f"`import aiohttp.web` {median(floor):.0f} ms",
        ratio=ratio(median(node), median(floor)),
        goal="nothing a request does not need (" + ", ".join(LAZY) + ") imported at start",
        met=not pulled,
        note="heaviest top-level packages (cumulative ms, median): "
        + ", ".join(f"{k} {ms:.0f}" for ms, k in heaviest)
        + (f"; imported at start: {', '.join(pulled)}" if pulled else "; none of the audio stack imported"),
        headline=True,
    )
    return [row], []


async def sessions(opts: Options) -> Result:
    count, idle_s, runs = (300, 15.0, 1) if opts.quick else (1000, 55.0, min(opts.runs, 2))
    results = await _runs(opts, count, idle_s, runs)
    per, per_floor, per_nl = _versus(results, "per_session")
    cpu, cpu_floor, cpu_nl = _versus(results, "idle_cpu_s")
    no_nl = "" if per_nl is not None else f"; {NO_NODELINK} (issue 11 measured NodeLink 16 KiB, 0.12 s)"
    rows = [
        Row(
            figure=f"RSS per WebSocket session ({count} sessions)",
            value=f"{per / KIB:.1f} KiB",
            peer=_peer(results, "per_session", "{:.1f} KiB", KIB),
            ratio=_ratios(per, per_floor, per_nl),
            goal="≤ NodeLink's (16 KiB in issue 11)",
            met=per <= (per_nl if per_nl is not None else 16 * KIB),
            note=f"(RSS with the sessions open 3 s - idle RSS) / {count}; median of {runs} alternating runs{no_nl}",
            headline=True,
        ),
        Row(
            figure=f"CPU of {count} idle sessions over {idle_s:g} s",
            value=f"{cpu:.2f} s",
            peer=_peer(results, "idle_cpu_s", "{:.2f} s"),
            ratio=_ratios(cpu, cpu_floor, cpu_nl),
            goal="≤ NodeLink's (0.12 s at 1,000 over 55 s in issue 11)",
            met=cpu <= (cpu_nl if cpu_nl is not None else 0.12 * idle_s / 55 * count / 1000),
            note=f"user+system CPU of the server process; median of {runs} alternating runs{no_nl}",
            headline=True,
        ),
    ]
    return rows, ([] if per_nl is not None else [NO_NODELINK])
