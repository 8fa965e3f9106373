"""What every figure of bench/report.py shares: its options, running a bench that prints JSON as a child process,
probing a bench for a flag another branch may not have added yet, and formatting a ratio."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report_doc import Row

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Options:
    quick: bool = False
    nodelink: Path | None = None
    runs: int = 3  # alternating A/B runs where a figure alternates; medians
    voice_budget_s: float = 480.0  # the voice capacity search, all of its runs


Result = tuple[list[Row], list[str]]  # the rows of a figure, and notes for under the table
Measure = Callable[[Options], Awaitable[Result]]


def bench_json(module: str, *args: str, timeout: float = 900.0) -> list[dict[str, Any]]:
    """Runs `python -m module args` from the checkout and returns the JSON objects it printed (one document, or
    one object a line). A failing bench raises with the tail of its stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode:
        raise RuntimeError(f"{module} {' '.join(args)} exited {proc.returncode}: {_cause(proc.stderr)}")
    text = proc.stdout.strip()
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return whole if isinstance(whole, list) else [whole]


def _cause(stderr: str) -> str:
    """The error a failed bench died of: its last exception line other than a child's broken pipe (what a
    child prints when its parent died first), else the tail of stderr."""
    errors = [line for line in stderr.splitlines() if "Error" in line and "BrokenPipe" not in line]
    return errors[-1].strip()[:300] if errors else stderr.strip()[-300:]


def has_flag(module: str, flag: str) -> bool:
    """Whether `python -m module --help` lists `flag` (a figure whose bench lacks it says "not available")."""
    proc = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    return flag in proc.stdout


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "—"


def not_available(figure: str, why: str, goal: str = "—") -> Row:
    return Row(figure=figure, value="not available", goal=goal, met=None, note=why)
