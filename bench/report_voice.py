"""bench/report.py's voice figures, each run of bench/voice.py, bench/voice_packet.py, bench/dave_epochs.py and
bench/dave_mls.py as a child process (their JSON read back): the capacity search (players with < 0.1 % lost), µs per
packet beside the per-packet floor, send-interval jitter beside the asyncio clock, and DAVE epoch gaps."""

from __future__ import annotations

import math
import subprocess
import time
from typing import Any

from bench.report_common import Options, Result, bench_json, has_flag, median, not_available, ratio
from bench.report_doc import Row

Run = dict[str, Any]  # one bench JSON result
RAMP = (100, 200, 400, 700, 1000)  # the goal is 1,000: the search stops there once it passes
WORKER_BUDGET = 0.3  # of a core per worker in the fair 2-workers-over-1 rig: both fit beside the receivers
BUDGET_RAMP = (200, 300, 400, 500, 600)
PACKETS_PER_S = 50
# The receivers read their socket on this timer, not on epoll (bench/voice.py --fake-poll-ms, udp_hub.py): a local
# receiver asleep on epoll is woken from inside every send, on the sender's CPU, which a remote Discord server never
# costs the node. The voice table runs once more with them on epoll, at the 1-worker sample's N, to show that share.
FAKE_POLL_MS = 5


def voice_run(count: int, seconds: float, *extra: str, timeout: float = 900.0) -> dict[str, Any]:
    """One bench/voice.py run of `count` connections; its result object (the last line it printed)."""
    lines = bench_json("bench.voice", "--connections", str(count), "--seconds", f"{seconds:g}", *extra, timeout=timeout)
    results = [line for line in lines if "ready" in line]
    if not results:
        raise RuntimeError(f"bench.voice --connections {count} printed no result: {lines}"[:300])
    return results[-1]


def passes(run: dict[str, Any]) -> bool:
    # Late (> 100 ms after hand-over, bench/voice.py) is as good as lost to a listener; older runs have lost only.
    lost = run.get("lost_or_late_pct", run.get("lost_pct", 100.0))
    return "error" not in run and bool(run["ready"] == run["connections"] and lost < 0.1)


def capacity_search(
    budget_s: float, seconds: float, *extra: str, ramp: tuple[int, ...] = RAMP
) -> tuple[Run | None, Run | None, list[Run]]:
    """Ramp N until loss exceeds 0.1 % (or a connection never got ready), then bisect a little, within `budget_s`
    (a run is started only while budget is left). (the largest passing run, the smallest failing one, all runs).

    A step that fails is run once more and passes if that run does: near capacity the machine runs at ~95 % of its
    2 cores (the receivers' share included), where one moment of other work leaves a backlog that takes seconds to
    clear, and the same N passed and failed in turn (issue 11, 2026-12-03: 1,000 players, 2 workers, 8 runs: 0.0
    to 64 % late). Both runs are reported."""
    deadline = time.monotonic() + budget_s
    best: Run | None = None
    failed: Run | None = None
    runs: list[Run] = []

    def one(n: int) -> Run:
        try:
            run = voice_run(n, seconds, *extra, timeout=max(120.0, deadline - time.monotonic() + 300))
        except (RuntimeError, subprocess.TimeoutExpired) as error:  # a run that dies at N is a failure at N
            run = {"connections": n, "error": str(error)}
        runs.append(run)
        return run

    def attempt(n: int) -> bool:
        nonlocal best, failed
        run = one(n)
        if not passes(run) and time.monotonic() < deadline:
            run = one(n)
        if passes(run):
            best = run if best is None or n > best["connections"] else best
            return True
        failed = run if failed is None or n < failed["connections"] else failed
        return False

    for n in ramp:
        if time.monotonic() >= deadline or not attempt(n):
            break
    for _ in range(3):  # bisect between the last pass (or 0) and the first failure
        if failed is None or time.monotonic() >= deadline:
            break
        low, high = (best["connections"] if best else 0), failed["connections"]
        if high - low <= max(10, high // 10):
            break
        attempt((low + high) // 2)
    return best, failed, runs


def _outcome(r: Run) -> str:
    if "error" in r:
        return f"{r['connections']}: the run failed ({r['error']})"
    # A search step fails on lost or late (passes()): both are printed, or a step "0.000 % lost" reads as a pass.
    late = f", {r['late_pct']:.3f} % late" if "late_pct" in r else ""
    under = r.get("players_under_0.1pct_lost_or_late", r["players_under_0.1pct_lost"])
    return (
        f"{r['connections']}: {r['lost_pct']:.3f} % lost{late} ({under} players < 0.1 %, "
        f"{r['ready']} ready; node {r['node_cpu_pct']} %, fakes {r['fakes_cpu_pct']} %)"
    )


def _searched(runs: list[Run]) -> str:
    return "; ".join(_outcome(r) for r in sorted(runs, key=lambda r: r["connections"]))


def _per_packet(run: Run) -> tuple[float, float, str]:
    """(µs per packet on the sending thread, its floor, what the figures are): an in-process run measures both on
    its own sockets; a workers run measures the workers' batch handlers, and its floor is `fallback_floor`'s."""
    if "worker_us_per_packet_cpu" in run:
        return run["worker_us_per_packet_cpu"], 0.0, (
            f"the workers' batch-handler thread CPU / packets they sent; their whole process "
            f"{run['worker_process_us_per_packet_cpu']} µs per packet (loop, status pushes, reading the batches); "
            f"workers {run['each_worker_cpu_pct']} % of a core each, the API process {run['node_cpu_pct']} %"
        )
    return run["us_per_packet_cpu"], run["floor_us_per_packet_cpu"], (
        f"thread CPU across each tick / packets; kernel part {run['us_per_packet_kernel']} µs"
    )


def _capacity_rows(
    label: str, best: Run | None, failed: Run | None, runs: list[Run], goal: str, *, fallback_floor: float,
    scale_floor: Run | None = None, rig: str = "",
) -> list[Row]:
    """`fallback_floor`: bench/voice_packet.py's DAVE encrypt + sock.send on one connection, for runs (the workers')
    that cannot measure the floor on their own sockets; `scale_floor`: an in-process run whose floor (davey + AEAD +
    send alone on its N sockets and sessions) stands for theirs at that N."""
    players = best["connections"] if best else 0
    sample = best or next((r for r in runs if "error" not in r), None)
    us, floor_us, how = _per_packet(sample) if sample else (0.0, 0.0, "")
    floor_from = (
        "davey + AEAD + send, in the same run on the same sockets"
        if floor_us
        else "davey + send, bench/voice_packet.py on one connection"
    )
    if not floor_us and scale_floor and scale_floor.get("floor_us_per_packet_cpu"):
        floor_us = scale_floor["floor_us_per_packet_cpu"]
        floor_from = (f"davey + AEAD + send alone on {scale_floor['connections']} sockets and DAVE sessions of the "
                      f"same rig, bench/voice.py in-process, same run")
    floor_us = floor_us or fallback_floor
    how = f"{how}; {rig}" if rig else how
    floor_players = int(1e6 / (PACKETS_PER_S * floor_us)) if floor_us else 0
    rows = [
        Row(
            figure=f"passthrough + voice + DAVE players with < 0.1 % lost{label}",
            value=f"{players}" + ("" if failed is None else f" (next: {_outcome(failed).split(' (')[0]})"),
            peer=f"per-packet floor {floor_us:.2f} µs ({floor_from}) → ~{floor_players} per core",
            ratio=ratio(players, floor_players),
            goal=goal,
            met=players >= 1000,
            note=f"search (N: loss; every packet's RTP sequence checked, 1 in 50 decrypted): {_searched(runs)}",
            headline=True,
        )
    ]
    if sample:
        rows.append(Row(
            figure=f"µs per packet on the sending thread ({sample['connections']} players){label}",
            value=f"{us:.2f} µs",
            peer=f"floor {floor_us:.2f} µs",
            ratio=ratio(us, floor_us),
            goal="≤ 15 µs",
            met=us <= 15,
            note=how,
            headline=True,
        ))  # fmt: skip
    return rows


async def voice(opts: Options) -> Result:
    seconds = 5.0 if opts.quick else 8.0
    budget = min(opts.voice_budget_s, 240.0) if opts.quick else opts.voice_budget_s
    rows: list[Row] = []
    packet = bench_json("bench.voice_packet")[0]["us_per_call_cpu"]
    floor = packet["dave_encrypt"] + packet["sock_send"]
    poll = _timer_receivers()
    if has_flag("bench.voice", "--workers"):
        one = capacity_search(budget / 2, seconds, "--workers", "1", *poll)
        two = capacity_search(budget / 2, seconds, "--workers", "2", *poll)
        rig, scale_floor = _rig(one[0] or two[0], seconds, poll)
        rows += _capacity_rows(", 1 worker", *one, "≥ 1,000", fallback_floor=floor, scale_floor=scale_floor, rig=rig)
        rows += _capacity_rows(", 2 workers", *two, "≥ 1,000", fallback_floor=floor, scale_floor=scale_floor, rig=rig)
        n1, n2 = (one[0] or {}).get("connections", 0), (two[0] or {}).get("connections", 0)
        plain = f"on the plain 2 cores beside the receivers: {n2} / {n1} ({ratio(n2, n1)})"
        if has_flag("bench.voice", "--worker-cpu-budget"):
            # The fair rig: each worker capped at the same share of a core (a cgroup), so neither the receivers
            # nor the API process can take a second worker's CPU; the ratio is then how the workers scale.
            capped = ("--worker-cpu-budget", f"{WORKER_BUDGET:g}")
            # 1 worker's figure is the ratio's base: most of the budget goes to resolving it (the bisect's steps).
            # (0.3 of the budget left 400 / 500 unbisected, 2026-12-06: the ratio's base then known only to 25 %.)
            one = capacity_search(budget * 0.45, seconds, "--workers", "1", *capped, *poll, ramp=BUDGET_RAMP)
            n1 = (one[0] or {}).get("connections", 0)
            two = capacity_search(budget * 0.25, seconds, "--workers", "2", *capped, *poll, ramp=goal_ramp(n1))
            n2 = (two[0] or {}).get("connections", 0)
            note = (f"each worker capped at {WORKER_BUDGET:g} of a core (bench/voice.py --worker-cpu-budget); "
                    f"2 workers tried first at 1.7x and 2x 1 worker's N; "
                    f"1 worker: {_searched(one[2])}; 2 workers: {_searched(two[2])}; {plain}")
        else:
            note = plain
        rows.append(Row(
            figure="players carried by 2 workers / by 1", value=f"{n2} / {n1}", ratio=ratio(n2, n1),
            goal="≥ 1.7x", met=bool(n1) and n2 >= 1.7 * n1, note=note, headline=True,
        ))  # fmt: skip
    else:
        rows += _capacity_rows("", *capacity_search(budget, seconds, *poll), "≥ 1,000", fallback_floor=floor)
        rows.append(not_available(
            "players carried by 2 workers / by 1", "bench/voice.py has no --workers on this branch", "≥ 1.7x"
        ))  # fmt: skip
    rows.append(Row(
        figure="send_frame, one connection, hot caches",
        value=f"{packet['send_frame']:.2f} µs",
        peer=f"DAVE encrypt {packet['dave_encrypt']:.2f} + sock.send {packet['sock_send']:.2f} µs",
        ratio=ratio(packet["send_frame"], floor),
        note=f"bench/voice_packet.py, best of 3 x 5000: packet_for {packet['packet_for']:.2f} µs, the unfused "
        f"reference path {packet['reference_packet']:.2f} µs",
    ))  # fmt: skip
    return rows, []


def _timer_receivers() -> tuple[str, ...]:
    """bench/voice.py's flags for receivers on the FAKE_POLL_MS timer, where its version has them."""
    return ("--fake-poll-ms", f"{FAKE_POLL_MS:g}") if has_flag("bench.voice", "--fake-poll-ms") else ()


def goal_ramp(n1: int) -> tuple[int, ...]:
    """The 2-worker search of the fair rig: straight at 1.7x what 1 worker carried (the goal), then 2x; a failure
    there bisects down. Ramping up from 100 as the 1-worker search does spent its budget below the question: one
    such search stopped at 500 of a possible 600 (2026-12-06, 500 / 300 = 1.67x)."""
    return (math.ceil(1.7 * n1), 2 * n1) if n1 else BUDGET_RAMP


def _rig(sample: Run | None, seconds: float, poll: tuple[str, ...]) -> tuple[str, Run | None]:
    """What the receivers did, with the same 1-worker run at the sample's N on epoll beside it (the share of the
    sender's CPU that was a local receiver's wake-up), and an in-process run at that N for its floor at scale."""
    if sample is None:
        return "", None

    def run(*extra: str) -> Run | None:
        try:
            result = voice_run(sample["connections"], seconds, *extra)
        except (RuntimeError, subprocess.TimeoutExpired):
            return None
        return None if "error" in result else result

    scale_floor = run(*poll)
    if not poll:
        return "", scale_floor
    epoll = run("--workers", str(sample.get("workers", 1)), "--fake-poll-ms", "0")
    woken = (
        f"with them on epoll instead, same N, same run: {epoll['worker_us_per_packet_cpu']} µs per packet in the batch "
        f"handler, fakes {epoll['fakes_cpu_pct']} %"
        if epoll and "worker_us_per_packet_cpu" in epoll else "the same N with them on epoll failed"
    )
    return (f"the receivers read their socket every {FAKE_POLL_MS:g} ms (bench/voice.py --fake-poll-ms), not woken "
            f"by each send; {woken}"), scale_floor


def _p99(run: dict[str, Any], key: str) -> float:
    return float(run.get(key, {}).get("p99_ms", float("nan")))


async def jitter(opts: Options) -> Result:
    seconds, rounds = (5.0, 1) if opts.quick else (8.0, 1 if opts.runs < 3 else 2)
    rows: list[Row] = []
    # The floor the players' jitter sits on: the same clock with no work in its tick, and a bare thread's
    # clock_nanosleep, on this machine now (a VM's vCPU wakes late too; no code on top can be steadier than it).
    bare = [bench_json("bench.clock_wake", "--seconds", "6")[0] for _ in range(max(rounds, 2))]
    bare_tick = median([r["tick_start_jitter"]["p99_ms"] for r in bare])
    bare_thread = median([r["thread_sleep_lateness"]["p99_ms"] for r in bare])
    # The receivers on a timer, as in the voice table: a receiver woken from inside each send made the sends' own
    # duration vary (send offset p99 1.4-1.8 ms on epoll, 0.24-0.28 ms on the timer, 100 players, 2026-12-06).
    poll = _timer_receivers()
    for count in (50, 100, 200):
        precise: list[Run] = []
        asyncio_clock: list[Run] = []
        for _ in range(rounds):  # alternating: the node's clock, then the plain asyncio.sleep schedule
            precise.append(voice_run(count, seconds, *poll))
            asyncio_clock.append(voice_run(count, seconds, "--clock", "asyncio", *poll))
        ours = median([_p99(r, "send_interval_jitter") for r in precise])
        theirs = median([_p99(r, "send_interval_jitter") for r in asyncio_clock])
        last = precise[-1]
        epoll = ""
        if poll and count == 100:
            woken = voice_run(count, seconds, "--fake-poll-ms", "0")
            epoll = (f"; with the receivers on epoll (woken by each send), one run: "
                     f"{_p99(woken, 'send_interval_jitter'):.2f} ms, send offset "
                     f"{_p99(woken, 'send_offset_jitter'):.2f} ms")
        rig = f"; the receivers read their socket every {FAKE_POLL_MS:g} ms" if poll else ""
        rows.append(Row(
            figure=f"p99 send-interval jitter, {count} passthrough voice players",
            value=f"{ours:.2f} ms",
            peer=f"asyncio-sleep clock {theirs:.2f} ms",
            ratio=ratio(ours, theirs),
            goal="< 2 ms" if count == 100 else "—",
            met=ours < 2 if count == 100 else None,
            note=f"first / last tenth of the players {_p99(last, 'send_jitter_first_tenth'):.2f} / "
            f"{_p99(last, 'send_jitter_last_tenth'):.2f} ms; tick start {_p99(last, 'tick_start_jitter'):.2f} ms; "
            f"send offset from the tick start (the tick's own part) {_p99(last, 'send_offset_jitter'):.2f} ms; "
            f"tick lateness p99 {last['tick_lateness_p99_us']} µs; {last['lost_pct']:.3f} % lost; "
            f"median of {rounds} alternating round(s), {seconds:g} s each{rig}{epoll}",
            headline=count == 100,
        ))  # fmt: skip
    rows.append(Row(
        figure="p99 tick-start jitter of the frame clock alone (one tickable that only stamps, no players)",
        value=f"{bare_tick:.2f} ms",
        peer=f"a bare thread's time.sleep to each deadline, lateness p99 {bare_thread:.2f} ms",
        goal="— (the floor of the rows above)",
        note=f"bench/clock_wake.py, 6 s each, median of {len(bare)} run(s) before the voice runs: the same "
        "clock with nothing in its tick, and any thread that only sleeps to each 20 ms deadline; a player's send "
        "interval cannot be steadier than its tick's start",
    ))  # fmt: skip
    if has_flag("bench.voice", "--transcode"):
        prepared: list[Run] = []
        immediate: list[Run] = []
        for _ in range(rounds):  # alternating: the node's outbox, then each packet sent as it is built
            prepared.append(voice_run(50, seconds, "--transcode", "--warmup", "4", *poll))
            immediate.append(voice_run(50, seconds, "--transcode", "--warmup", "4", "--send", "immediate", *poll))
        ours = median([_p99(r, "send_interval_jitter") for r in prepared])
        theirs = median([_p99(r, "send_interval_jitter") for r in immediate])
        last = prepared[-1]
        rows.append(Row(
            figure="p99 send-interval jitter, 50 transcoding voice players",
            value=f"{ours:.2f} ms",
            peer=f"each packet sent as built {theirs:.2f} ms",
            ratio=ratio(ours, theirs),
            note=f"MP3/AAC at opusEncodingQuality 10 through the node's AudioEngine; {last['lost_pct']:.3f} % lost "
            f"(a lost frame counts 20 ms here); median of {rounds} alternating round(s), {seconds:g} s each",
        ))  # fmt: skip
    else:
        rows.append(not_available("p99 send-interval jitter, 50 transcoding voice players",
                                  "bench/voice.py has no transcoding mode (--transcode) on this branch"))  # fmt: skip
    return rows, []


async def dave(opts: Options) -> Result:
    seconds, rounds = (10.0, 1) if opts.quick else (20.0, 1 if opts.runs < 3 else 2)
    epochs = ("--epochs", "4")
    variants: dict[str, tuple[str, ...]] = {"paced": epochs, "none": ("--epochs", "0")}
    # The alternatives: ops 27/29/30 on the lane's thread (the default until 2026-12-03), half the lane's budget
    # (a smaller gap, slower handshakes: mls_lane.py), and no lane at all.
    if has_flag("bench.dave_epochs", "--budget-ms"):
        variants["thread"] = (*epochs, "--offload", "on")
        variants["4 ms"] = (*epochs, "--budget-ms", "4")
    variants["unpaced"] = (*epochs, "--pace", "off")
    runs: dict[str, list[Run]] = {name: [] for name in variants}
    for _ in range(rounds):  # alternating them
        for name, extra in variants.items():
            runs[name] += bench_json("bench.dave_epochs", "--connections", "50", "--seconds", f"{seconds:g}", *extra)

    def gap(name: str) -> float:
        return median([r["send_max_gap_ms"] for r in runs[name]])

    paced = runs["paced"][-1]
    before = (
        f"ops 27/29/30 on the lane's thread {gap('thread'):.1f} ms; budget 4 ms per window {gap('4 ms'):.1f} ms; "
        if "thread" in runs else ""
    )
    mls = bench_json("bench.dave_mls")[0]
    heaviest = max(mls.items(), key=lambda kv: kv[1]["cpu_max_ms"])
    rows = [
        Row(
            figure="largest packet gap across DAVE epoch changes (50 calls, 4 changes each)",
            value=f"{gap('paced'):.1f} ms",
            peer=f"no epoch change, same clock {gap('none'):.1f} ms; {before}MLS unpaced on the loop "
            f"{gap('unpaced'):.1f} ms",
            ratio=f"{ratio(gap('paced'), gap('none'))} no change",
            goal="< 40 ms",
            met=gap("paced") < 40,
            note=f"at the fakes {paced['arrival_max_gap_ms']} ms; the widest tick gap {paced['tick_max_gap_ms']} ms "
            f"with {paced['tick_max_gap_node_cpu_ms']} ms of the node's CPU in it; MLS calls {paced['mls_calls']}, "
            f"{paced.get('mls_thread_calls', 0)} of them on the lane's thread, deferred {paced['mls_deferred']}; "
            f"epoch changes {paced['epoch_changes']}, DAVE failures "
            f"{paced['dave_failures']}; median of {rounds} alternating round(s)",
            headline=True,
        ),
        Row(
            figure="the costliest MLS call (bench/dave_mls.py)",
            value=f"{heaviest[0]}: {heaviest[1]['cpu_max_ms']:.2f} ms CPU (median {heaviest[1]['cpu_median_ms']:.2f})",
            peer=f"a Python thread ran at {heaviest[1]['other_thread_rate']:.2f}x its idle rate meanwhile",
            note="≈ 0: the call holds the GIL; ≈ 1: it releases it",
        ),
    ]
    return rows, []
