"""Issue 11's figures, one command per table, written into BENCHMARKS.md beside their floors and peers.

    python -m bench.report TABLE [--nodelink DIR] [--quick] [--runs N] [--voice-budget S] [--write]

TABLE is one of startup, sessions, transcoding, voice, jitter, dave, overload, shared, or issue11 (all of them,
then the issue's summary table), or summary: the issue's summary table again from each table's latest `--write`
run (kept in .bench_report/ beside BENCHMARKS.md), after re-running one table, without running anything.
Each figure is one entry of TABLES below: an async function of the options that runs an existing bench
(imported, or as a child process for those that print JSON) and returns its rows; the runner records the UTC
time and `os.getloadavg()` before and after each. Floors are always measured in the same run (a bare aiohttp
app, libopus alone, the ffmpeg CLI, the per-packet floor, the asyncio clock, no epoch change); NodeLink when
`--nodelink DIR` names a checkout prepared as bench/startup.py's docstring says. A figure whose bench lacks a
flag (another branch adds it) says "not available"; a figure whose bench fails says "failed" and why, and the
others still run. `--write` replaces the table's marked section of BENCHMARKS.md
(`<!-- bench.report:TABLE begin -->` ... `end -->`, appended when absent); without it the section is printed.

Running times on 2 cores: startup ~1 min, sessions ~5 min (1,000 sessions, 55 s), transcoding ~1 min, voice <= the
search budget (8 min) + a minute, jitter ~3 min, dave ~2 min, overload ~2 min, shared ~2 min; `--quick` shortens
each (fewer runs, fewer sessions, shorter windows).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import traceback
from pathlib import Path

from bench import report_audio, report_node, report_voice
from bench.report_common import ROOT, Measure, Options
from bench.report_doc import (
    Entry,
    Row,
    entries_from_json,
    entries_to_json,
    render_section,
    utc_date,
    utc_now,
    write_section,
)

# table -> (title, [(figure entry name, measure)]): add a figure as one more pair.
TABLES: dict[str, tuple[str, list[tuple[str, Measure]]]] = {
    "startup": ("Start-up, import time and idle RSS", [
        ("start and idle RSS", report_node.start_and_rss),
        ("import time", report_node.imports),
    ]),
    "sessions": ("Idle WebSocket sessions", [("sessions", report_node.sessions)]),
    "transcoding": ("Transcoding CPU per stream", [("transcoding", report_audio.transcoding)]),
    "voice": ("Voice capacity and µs per packet", [("voice", report_voice.voice)]),
    "jitter": ("Send-interval jitter", [("jitter", report_voice.jitter)]),
    "dave": ("DAVE epoch changes", [("dave", report_voice.dave)]),
    "overload": ("Overload: complexity before lost frames", [("overload", report_audio.overload)]),
    "shared": ("One encode for many", [("shared", report_audio.shared)]),
}  # fmt: skip
SUMMARY = "issue11"
LATEST = "summary"  # the issue11 table from each table's latest --write run, without running anything
CACHE = ".bench_report"  # beside BENCHMARKS.md, not committed: each table's entries of its latest --write run


async def run_entry(name: str, measure: Measure, opts: Options) -> Entry:
    entry = Entry(name=name, rows=[], date=utc_date(), began=utc_now(), load_before=os.getloadavg())
    print(f"{entry.began} {name} ...", file=sys.stderr, flush=True)
    try:
        entry.rows, entry.notes = await measure(opts)
    except Exception as error:  # one failing bench must not lose the others' figures
        traceback.print_exc()
        entry.rows = [Row(figure=name, value="failed", note=f"{type(error).__name__}: {error}")]
    entry.ended, entry.load_after = utc_now(), os.getloadavg()
    print(f"{entry.ended} {name} done", file=sys.stderr, flush=True)
    return entry


async def run_table(table: str, opts: Options) -> list[Entry]:
    return [await run_entry(name, measure, opts) for name, measure in TABLES[table][1]]


def _options(args: argparse.Namespace) -> Options:
    return Options(
        quick=args.quick,
        nodelink=args.nodelink,
        runs=args.runs,
        voice_budget_s=args.voice_budget,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("table", choices=[*TABLES, SUMMARY, LATEST])
    parser.add_argument("--nodelink", type=Path, help="a prepared NodeLink checkout, measured beside")
    parser.add_argument("--quick", action="store_true", help="fewer runs, shorter windows")
    parser.add_argument("--runs", type=int, default=3, help="alternating runs where a figure alternates")
    parser.add_argument("--voice-budget", type=float, default=480.0, help="seconds for the voice capacity search")
    parser.add_argument("--write", action="store_true", help="replace the section in BENCHMARKS.md")
    parser.add_argument("--file", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    opts = _options(args)
    command = "python -m bench.report " + shlex.join(sys.argv[1:])
    cache = args.file.parent / CACHE
    if args.table == LATEST:
        found = [t for t in TABLES if (cache / f"{t}.json").exists()]
        everything = [e for t in found for e in entries_from_json((cache / f"{t}.json").read_text())]
        command = "; ".join(f"python -m bench.report {t} --write" for t in found) + f"; {command}"
    else:
        everything = []
        for table in list(TABLES) if args.table == SUMMARY else [args.table]:
            entries = await run_table(table, opts)
            everything += entries
            body = render_section(f"{TABLES[table][0]} (issue 11)", command, entries)
            if args.write:
                write_section(args.file, table, body)
                cache.mkdir(exist_ok=True)
                (cache / f"{table}.json").write_text(entries_to_json(entries))
            print(body + "\n", flush=True)
    if args.table in (SUMMARY, LATEST):
        body = render_section("Issue 11, the summary table", command, everything, headline_only=True)
        if args.write:
            write_section(args.file, SUMMARY, body)
        print(body, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
