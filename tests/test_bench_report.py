"""bench/report.py's writer: a generated section is replaced in place, every other byte of BENCHMARKS.md kept, and a
table spec with a fake measurement renders (no benchmark runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report
from bench.report_common import Options, Result
from bench.report_doc import (
    Row,
    entries_from_json,
    entries_to_json,
    markers,
    render_section,
    replace_section,
    write_section,
)

HAND_WRITTEN = "# Benchmarks\n\n## By hand\n\nA figure | with a pipe\n\n\n## Another, no final newline"


def test_section_is_appended_when_absent_and_the_rest_kept() -> None:
    text = replace_section(HAND_WRITTEN, "voice", "table one")
    begin, end = markers("voice")
    assert text.startswith(HAND_WRITTEN + "\n\n" + begin)
    assert text.endswith(f"{begin}\ntable one\n{end}\n")


def test_section_is_replaced_in_place_byte_for_byte() -> None:
    before, after = "# Top\r\n\nhand ✓ text\n", "\n## Below\n\ttabs kept  \n"
    begin, end = markers("voice")
    other = "\n".join(markers("jitter"))
    original = f"{before}{begin}\nold table\nold notes\n{end}{after}{other}\n"
    text = replace_section(original, "voice", "new table\n")
    assert text == f"{before}{begin}\nnew table\n{end}{after}{other}\n"
    # Again: idempotent, and the neighbouring section's markers untouched.
    assert replace_section(text, "voice", "new table") == text


def test_write_section_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_bytes(HAND_WRITTEN.encode())
    write_section(path, "dave", "first")
    write_section(path, "dave", "second")
    text = path.read_text()
    assert text.count(markers("dave")[0]) == 1 and "second" in text and "first" not in text
    assert text.startswith(HAND_WRITTEN)


async def fake_measure(_opts: Options) -> Result:
    rows = [
        Row(figure="p99 jitter | at 100", value="1.50 ms", peer="asyncio clock 3.00 ms", ratio="0.50x",
            goal="< 2 ms", met=True, note="fake", headline=True),
        Row(figure="players", value="200", goal=">= 1,000", met=False, note="limited by the fake"),
    ]  # fmt: skip
    return rows, ["a note under the table"]


async def test_a_table_spec_with_a_fake_measurement_renders() -> None:
    entry = await report.run_entry("fake", fake_measure, Options(quick=True))
    body = render_section("Fake table", "python -m bench.report fake", [entry])
    lines = body.splitlines()
    assert lines[0].startswith("### Fake table")
    assert "Command: `python -m bench.report fake`" in body
    rows = [line for line in lines if line.startswith(("| p99", "| players"))]
    assert len(rows) == 2
    assert "p99 jitter \\| at 100" in rows[0] and "| met |" in rows[0] and f"{entry.began}-{entry.ended}" in rows[0]
    assert "| **not met** |" in rows[1]
    assert "- fake: a note under the table" in body
    summary = render_section("Summary", "cmd", [entry], headline_only=True)
    assert "p99 jitter" in summary and "| players" not in summary


async def test_a_failing_measurement_becomes_a_failed_row() -> None:
    async def broken(_opts: Options) -> Result:
        raise RuntimeError("bench exited 1")

    entry = await report.run_entry("broken", broken, Options())
    assert [(r.figure, r.value) for r in entry.rows] == [("broken", "failed")]
    assert "bench exited 1" in entry.rows[0].note


def test_every_table_has_entries() -> None:
    assert set(report.TABLES) == {"startup", "sessions", "transcoding", "voice", "jitter", "dave", "overload", "shared"}
    assert all(entries for _title, entries in report.TABLES.values())


async def test_entries_round_trip_through_the_cache_format() -> None:
    entry = await report.run_entry("fake", fake_measure, Options())
    [again] = entries_from_json(entries_to_json([entry]))
    assert again == entry


def test_the_capacity_rows_take_a_workers_run_which_has_no_floor_of_its_own() -> None:
    from bench.report_voice import _capacity_rows

    workers_run = {
        "connections": 400, "ready": 400, "lost_pct": 0.01, "lost_or_late_pct": 0.02, "players_under_0.1pct_lost": 400,
        "node_cpu_pct": 30.0, "fakes_cpu_pct": 60.0, "worker_us_per_packet_cpu": 20.0,
        "worker_process_us_per_packet_cpu": 30.0, "each_worker_cpu_pct": [40.0],
    }  # fmt: skip
    in_process_run = {**workers_run, "us_per_packet_cpu": 12.0, "floor_us_per_packet_cpu": 4.0}
    in_process_run["us_per_packet_kernel"] = 3.0
    del in_process_run["worker_us_per_packet_cpu"]

    players, per_packet = _capacity_rows(", 1 worker", workers_run, None, [workers_run], "≥ 1,000", fallback_floor=5.0)
    assert players.value == "400" and "floor 5.00 µs" in players.peer and "bench/voice_packet.py" in players.peer
    assert (per_packet.value, per_packet.peer, per_packet.met) == ("20.00 µs", "floor 5.00 µs", False)
    _players, per_packet = _capacity_rows("", in_process_run, None, [in_process_run], "≥ 1,000", fallback_floor=5.0)
    assert (per_packet.value, per_packet.peer, per_packet.met) == ("12.00 µs", "floor 4.00 µs", True)
    # An in-process run at the workers' N gives their floor at scale, and the rig is said beside the figure.
    players, per_packet = _capacity_rows(", 1 worker", workers_run, None, [workers_run], "≥ 1,000", fallback_floor=5.0,
                                         scale_floor=in_process_run, rig="the receivers read their socket every 5 ms")
    assert "floor 4.00 µs" in players.peer and "on 400 sockets" in players.peer
    assert per_packet.peer == "floor 4.00 µs" and per_packet.note.endswith("every 5 ms")


def test_the_fair_rig_asks_2_workers_for_the_goal_at_once() -> None:
    from bench.report_voice import BUDGET_RAMP, goal_ramp

    assert goal_ramp(300) == (510, 600) and goal_ramp(0) == BUDGET_RAMP


def test_the_capacity_search_runs_a_failed_step_once_more(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench import report_voice

    calls: list[int] = []

    def fake_run(count: int, _seconds: float, *_extra: str, timeout: float = 0.0) -> dict[str, object]:
        calls.append(count)
        # Capacity 299; the first run at 200 fails as a loaded moment would fail it.
        late = 5.0 if count >= 300 or (calls.count(200) == 1 and count == 200) else 0.0
        return {"connections": count, "ready": count, "lost_pct": 0.0, "lost_or_late_pct": late}

    monkeypatch.setattr(report_voice, "voice_run", fake_run)
    best, failed, runs = report_voice.capacity_search(600, 1, ramp=(100, 200, 400))
    assert best is not None and failed is not None
    assert best["connections"] == 275 and failed["connections"] == 300  # bisected: 300, 250, 275
    assert calls[:5] == [100, 200, 200, 400, 400]  # 200 passed at its second run; 400 failed both
    assert len(runs) == len(calls) and all(calls.count(n) == 2 for n in calls if n >= 300)
