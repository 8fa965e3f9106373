"""The end-to-end bench's table (stdout and Markdown) and its section of BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

HEADING = "## End to end through the voice path"
NOTES_HEADING = "### Reading it"  # hand-written; a rerun replaces the figures above it and keeps it
TARGET_LOST_PCT = 0.1  # issue 3: < 0.1 % late or missing frames
TARGET_JITTER_MS = 2.0  # issue 4: p99 send-interval jitter < 2 ms with 50 players

COLUMNS = (
    "workload", "N", "path", "CPU %/player", "CPU %/stream delivered", "CPU % total", "lost % node",
    "lost % fake (gaps)", "send jitter p50/p99 ms", "arrival jitter p50/p99 ms", "first frame p50/max ms",
    "first packet p50/max ms",
    "RSS MiB/player", "fakes CPU %", "others CPU % (load)",
)


def _pair(figures: dict[str, float] | None, a: str = "p50", b: str = "p99") -> str:
    return "-" if not figures else f"{figures[a]:.2f} / {figures[b]:.2f}"


def row(r: dict[str, Any]) -> list[str]:
    path = "voice+DAVE" if r.get("voice") else "counting sink"
    if "error" in r:
        return [r.get("workload", "?"), str(r["players"]), path, f"failed: {r['error']}"] + [""] * 11 + [r["load"]]
    fake = r.get("fake")
    lost_fake = "-" if fake is None else f"{fake['missing_pct']:.3f} ({fake['sequence_gaps']})"
    return [
        r["workload"], str(r["players"]), path, f"{r['cpu_pct_per_player']:.2f}", f"{per_stream(r):.2f}",
        f"{r['cpu_pct']:.0f}",
        f"{r['missing_pct']:.3f}", lost_fake, _pair(r["send_jitter_ms"]),
        _pair(fake["arrival_jitter_ms"]) if fake else "-", _pair(r["first_frame_ms"], "p50", "max"),
        _pair(fake["first_packet_ms"], "p50", "max") if fake else "-", f"{r['rss_mib_per_player']:.2f}",
        f"{r['fakes_cpu_pct']:.0f}" if fake else "-", f"{r['others_cpu_pct']:.0f} ({r['load'].split()[0]})",
    ]


def per_stream(r: dict[str, Any]) -> float:
    """CPU % of a core per real-time stream actually delivered (frames handed over x 20 ms / window)."""
    streams = r["frames_sent"] * 0.02 / r["seconds"]
    return float(r["cpu_pct"] / streams) if streams else 0.0


def passes(r: dict[str, Any]) -> bool:
    if "error" in r:
        return False
    fake = r.get("fake") or {"missing_pct": 0.0, "sequence_gaps": 0}
    return bool(r["missing_pct"] < TARGET_LOST_PCT and fake["missing_pct"] < TARGET_LOST_PCT)


def reached(results: list[dict[str, Any]]) -> list[list[str]]:
    """Per workload: the largest N run with < 0.1 % lost frames, without and with the voice path."""
    rows = []
    for workload in dict.fromkeys(r["workload"] for r in results):
        cells = [workload]
        for voice in (False, True):
            ran = [r for r in results if r["workload"] == workload and bool(r.get("voice")) == voice]
            ok = [r["players"] for r in ran if passes(r)]
            tried = max((r["players"] for r in ran), default=0)
            cells.append("not run" if not ran else f"{max(ok, default=0)} (largest N tried: {tried})")
        rows.append(cells)
    return rows


def _markdown(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def print_table(results: list[dict[str, Any]]) -> None:
    rows = [row(r) for r in results]
    widths = [max(len(h), *(len(c[i]) for c in rows)) for i, h in enumerate(COLUMNS)]
    for cells in [list(COLUMNS), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)))
    print()
    for cells in reached(results):
        print(f"{cells[0]}: reached without voice {cells[1]}, with voice {cells[2]}")


def markdown_section(results: list[dict[str, Any]], command: str, took_s: float) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return "\n\n".join([
        HEADING,
        f"Command: `{command}` (took {took_s / 60:.1f} min, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{machine}). Other helpers' work shared the machine: the last column is the CPU % (of one core) that other "
        "processes used during each window, with the 1-minute load average before the case.",
        "Player counts reached (largest N run with < 0.1 % of frames lost, both at the node and at the fake "
        "voice server):",
        _markdown(("workload", "without the voice path", "with voice + DAVE"), reached(results)),
        _markdown(COLUMNS, [row(r) for r in results]),
        LEGEND,
    ]) + "\n"


LEGEND = """\
- Each case is its own process: the real node (`build_app`) in-process with a raw Lavalink client session on it;
  CPU % is that process's CPU time over the window (100 % = one core), RSS is its growth from before the first
  PATCH to the window's end, divided by N. With voice, the N fake Discord voice servers (DAVE v1, one listener
  each, decrypting every frame) run in a separate process on the same 2 cores.
- CPU %/stream delivered: the process's CPU % divided by the real-time streams it actually delivered
  (frames handed over x 20 ms / window). When neighbours starve the node of CPU and frames are lost, this is
  still the cost of one stream, where CPU %/player is not.
- lost % node: frames the frame clock should have handed to the players' sinks in the window but did not
  (nulled frames + skipped late ticks). lost % fake: packets expected at the fakes in the window minus those
  that arrived; (gaps) counts RTP sequence numbers missing between consecutive arrivals.
- send jitter: |interval - 20 ms| between consecutive frames of one player when the node hands them to the sink
  (the voice connection's send_frame, which encrypts and sends at once). arrival jitter: the same at the fake,
  timed when its event loop handles the datagram, so it also carries the fake process's own scheduling.
- first frame: PATCH of the track (local file) to the frame reaching the sink; first packet: to its arrival at
  the fake. Targets: issue 3 (>= 200 transcoding players, >= 2,000 passthrough, < 0.1 % lost) and issue 4
  (p99 send-interval jitter < 2 ms with 50 players)."""


def write_section(path: Path, section: str) -> None:
    """Replaces this bench's section (up to the next `## ` heading) or appends it; other sections are kept, and
    so is this section's hand-written NOTES_HEADING part."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find(HEADING)
    if start < 0:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return
    end = text.find("\n## ", start + len(HEADING))
    old = text[start:] if end < 0 else text[start : end + 1]
    rest = "" if end < 0 else text[end + 1 :]
    notes = old.find(NOTES_HEADING)
    if notes >= 0:
        section += "\n" + old[notes:].rstrip("\n") + "\n"
    path.write_text(text[:start] + section + ("\n" + rest if rest else ""))
