"""bench/report.py's audio figures: transcoding CPU beside libopus alone and the ffmpeg CLI (bench/transcode_cost.py),
transcoding voice players (bench/voice.py --transcode: capacity, then twice it with the policy off and on), overload
with the policy off and on (bench/overload.py), and one radio's shared encode (bench/shared.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bench.report_common import Options, Result, median, ratio
from bench.report_doc import Row

if TYPE_CHECKING:
    from bench import transcode_cost


async def transcoding(opts: Options) -> Result:
    from bench import transcode_cost
    from bench.audio import write_sweep
    from lavalink_py.audio.settings import EngineSettings

    rounds = 3 if opts.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, 30.0)
        cost = transcode_cost.measure(mp3, EngineSettings(), rounds)
        top = ceiling(mp3, opts)
    ff = (
        "ffmpeg CLI not installed (`apt-get install ffmpeg` for this floor)"
        if cost.ffmpeg is None
        else f"ffmpeg CLI mp3→opus {cost.ffmpeg:.2f} %"
    )
    ff_ratio = "" if cost.ffmpeg is None else f"; {ratio(cost.pipeline, cost.ffmpeg)} ffmpeg CLI"
    rows = [
        Row(
            figure="transcoding, CPU per stream (MP3 44.1 kHz → Opus, complexity 10)",
            value=f"{cost.pipeline:.2f} % of a core",
            peer=f"floor (PyAV decode + same aresample + libopus alone) {cost.floor:.2f} %; {ff}",
            ratio=f"{ratio(cost.pipeline, cost.floor)} the floor{ff_ratio}",
            goal="≤ 1.1x the floor",
            met=cost.pipeline <= 1.1 * cost.floor,
            note=f"one thread, no clock, thread CPU / seconds of audio; median of {rounds} alternating rounds",
            headline=True,
        ),
    ]
    rows += transcoding_voice(opts, top)
    return rows, []


def ceiling(mp3: Path, opts: Options) -> transcode_cost.Ceiling:
    """The pipeline alone on every core at once, complexity 10 against the overload ladder's last step."""
    from bench import transcode_cost
    from lavalink_py.audio.overload import OverloadSettings

    bottom = OverloadSettings().ladder(10, 128_000)[-1]
    return transcode_cost.ceiling(mp3, bottom, rounds=2 if opts.quick else 4)


def describe_ceiling(top: transcode_cost.Ceiling) -> str:
    return (
        f"the pipeline alone, {top.threads} threads at once (no clock, no voice): {top.top:.0f} frames/s at "
        f"complexity 10 = ~{top.streams} streams; at {top.bottom_level.describe()} {top.bottom:.0f} frames/s = "
        f"{top.ladder_gain:.2f}x (twice the players need 2x); median of {top.rounds} alternating rounds"
    )


TRANSCODE_RAMP = (40, 80, 120, 160, 240)  # the goal is 120; the search stops at the first failure


def transcoding_voice(opts: Options, top: transcode_cost.Ceiling) -> list[Row]:
    """The capacity search of bench/voice.py --transcode (real playbacks into real voice connections with DAVE,
    policy off), then twice what it found with the policy off and on, in that order."""
    from bench.report_voice import _outcome, capacity_search, voice_run

    seconds = 8.0 if opts.quick else 15.0
    budget = min(opts.voice_budget_s, 300.0) if opts.quick else opts.voice_budget_s
    flags = ("--transcode", "--warmup", "6")
    best, failed, runs = capacity_search(budget, seconds, *flags, ramp=TRANSCODE_RAMP)
    players = best["connections"] if best else 0
    searched = "; ".join(_outcome(r) for r in sorted(runs, key=lambda r: r["connections"]))
    rows = [
        Row(
            figure="transcoding voice players at complexity 10 (MP3/AAC → Opus → DAVE → UDP, < 0.1 % lost)",
            value=f"{players}" + ("" if failed is None else f" (next: {_outcome(failed).split(' (')[0]})"),
            peer=describe_ceiling(top),
            goal="≥ 120 on 2 idle cores",
            met=players >= 120,
            note=f"bench/voice.py --transcode, policy off, {seconds:g} s after 6 s; search: {searched}",
            headline=True,
        )
    ]
    if players:
        over = 2 * players
        off = voice_run(over, seconds, *flags, "--policy", "off")
        on = voice_run(over, seconds, *flags, "--policy", "on")
        rows.append(Row(
            figure=f"frames lost at 2x that ({over} transcoding voice players), policy on",
            value=f"{on['lost_pct']:.3f} %",
            peer=f"policy off: {off['lost_pct']:.3f} %",
            ratio=ratio(on["lost_pct"], off["lost_pct"]) if off["lost_pct"] else "—",
            goal="< 0.1 %",
            met=on["lost_pct"] < 0.1,
            note=f"policy on ended at {on['encoder_at_end']} ({on['steps_down']} down), lost by cause "
            f"{on['lost_by_cause'] or 'none'}, node {on['node_cpu_pct']} %; off: {off['lost_by_cause'] or 'none'}, "
            f"node {off['node_cpu_pct']} %; the pipeline alone: {top.ladder_gain:.2f}x the frames per second at the "
            "ladder's last step, all cores at once",
            headline=True,
        ))  # fmt: skip
    return rows


async def overload(opts: Options) -> Result:
    import psutil

    from bench import overload as bench
    from bench.audio import write_sweep

    seconds = 12.0 if opts.quick else 30.0
    steps = bench.ladder_costs()
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, bench.WARMUP_S + seconds + 15)
        probe = await bench.run(mp3, 16, 10.0, policy=False)
        per_stream = probe.cpu_cores / 16
        cores = max(0.1, (psutil.cpu_count() or 2) - probe.other_cores)
        players = round(2 * cores / per_stream)
        off = await bench.run(mp3, players, seconds, policy=False)  # alternating: off, then on
        on = await bench.run(mp3, players, seconds, policy=True)
        top = ceiling(mp3, opts)

    def share(r: bench.Run) -> float:
        return 100 * r.lost / max(1, r.due)

    ladder = "; ".join(f"{level.describe()}: {us:.0f} µs" for level, us in steps)
    levels = ", ".join(f"{n} at {c}" for c, n in sorted(on.streams_by_complexity.items(), reverse=True)) or "-"
    rows = [
        Row(
            figure=f"frames lost at 2x the complexity-10 capacity ({players} transcoding players), policy on",
            value=f"{share(on):.3f} % ({on.lost} of {on.due})",
            peer=f"policy off: {share(off):.3f} % ({off.lost} of {off.due})",
            ratio=ratio(share(on), share(off)) if share(off) else "—",
            goal="< 0.1 %",
            met=share(on) < 0.1,
            note=f"capacity probe: {100 * per_stream:.2f} % per stream, {cores:.2f} cores free → ~{players // 2} "
            f"streams; policy on ended at {on.encoder} ({on.steps_down} down, {on.steps_up} up; "
            f"{levels}); node used {on.cpu_cores:.2f} cores, other processes {on.other_cores:.2f}; "
            f"libopus alone per frame on each step of the ladder: {ladder}; {describe_ceiling(top)}",
            headline=True,
        ),
        Row(
            figure="late or missing frames attributed to a cause (policy on / off)",
            value=", ".join(f"{k} {v}" for k, v in on.by_cause.items()) or "none lost",
            peer="off: " + (", ".join(f"{k} {v}" for k, v in off.by_cause.items()) or "none lost"),
            goal="every lost frame has a cause",
            met=None,
            note="counts by cause from the engine's loss totals beside the frames lost above (the units may "
            "differ: per player frames vs whole ticks), so no verdict here; tests check the attribution",
        ),
    ]
    return rows, []


async def shared(opts: Options) -> Result:
    from bench import shared as bench
    from bench.audio import write_sweep
    from bench.startup import _free_port

    seconds = 6.0 if opts.quick else 10.0
    # Four rounds: the reference alone moved 3.6-5.2 % of a core between runs of a day (BENCHMARKS.md, "A share's
    # players ticked as one group"), more than the whole per-player cost of 200 shared players; two rounds gave
    # 1.11x, 1.17x and 1.23x on three runs.
    rounds = 1 if opts.quick else 4
    own: list[float] = []
    many: list[float] = []
    frames = nulled = 0
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "sweep.mp3", "libmp3lame", 44_100, 30.0)
        with bench.radio(mp3, _free_port()) as url:
            for _ in range(rounds):  # alternating: one own stream, then 200 shared
                own.append((await bench.run(url, 1, seconds, share=False)).cpu)
                shared = await bench.run(url, 200, seconds, share=True)
                many.append(shared.cpu)
                frames, nulled = shared.frames, shared.nulled
    row = Row(
        figure="200 players of one radio, one shared decode + encode",
        value=f"{100 * median(many):.2f} % of a core",
        peer=f"one player's own stream {100 * median(own):.2f} %",
        ratio=ratio(median(many), median(own)),
        goal="≤ 1.2x one player's encode",
        met=median(many) <= 1.2 * median(own),
        note=f"process CPU over {seconds:g} s after 3 s, median of {rounds} alternating rounds; last round "
        f"{frames} frames sent, {nulled} nulled; voice sends not included (sinks count frames)",
        headline=True,
    )
    return [row], []
