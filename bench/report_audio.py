"""bench/report.py's audio figures: transcoding CPU beside libopus alone and the ffmpeg CLI (bench/transcode_cost.py),
overload with the policy off and on (bench/overload.py), and one radio's shared encode (bench/shared.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.report_common import Options, Result, has_flag, median, not_available, ratio
from bench.report_doc import Row


async def transcoding(opts: Options) -> Result:
    from bench import transcode_cost
    from bench.audio import write_sweep
    from lavalink_py.audio.settings import EngineSettings

    rounds = 3 if opts.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, 30.0)
        cost = transcode_cost.measure(mp3, EngineSettings(), rounds)
    ff = "ffmpeg CLI not installed" if cost.ffmpeg is None else f"ffmpeg CLI mp3→opus {cost.ffmpeg:.2f} %"
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
    if has_flag("bench.voice", "--transcode"):
        rows.append(not_available(
            "transcoding voice players at complexity 10",
            "bench/voice.py has --transcode: add its capacity search here (report_voice.capacity_search)",
            "≥ 120 on 2 idle cores",
        ))  # fmt: skip
    else:
        rows.append(Row(
            figure="transcoding voice players at complexity 10",
            value=f"~{int(200 / cost.pipeline)} (estimate, not a run)",
            peer="—",
            goal="≥ 120 on 2 idle cores",
            met=None,
            note="2 cores x 100 % / the CPU per stream above; a capacity run needs a transcoding mode in "
            "bench/voice.py (--transcode), not available on this branch",
            headline=True,
        ))  # fmt: skip
    return rows, []


async def overload(opts: Options) -> Result:
    import psutil

    from bench import overload as bench
    from bench.audio import write_sweep

    seconds = 12.0 if opts.quick else 30.0
    costs = {c: bench.opus_us_per_frame(c) for c in sorted(set(bench.LADDER) | {10}, reverse=True)}
    with tempfile.TemporaryDirectory() as tmp:
        mp3 = write_sweep(Path(tmp) / "bench.mp3", "libmp3lame", 44_100, bench.WARMUP_S + seconds + 15)
        probe = await bench.run(mp3, 16, 10.0, policy=False)
        per_stream = probe.cpu_cores / 16
        cores = max(0.1, (psutil.cpu_count() or 2) - probe.other_cores)
        players = round(2 * cores / per_stream)
        off = await bench.run(mp3, players, seconds, policy=False)  # alternating: off, then on
        on = await bench.run(mp3, players, seconds, policy=True)

    def share(r: bench.Run) -> float:
        return 100 * r.lost / max(1, r.due)

    ladder = ", ".join(f"{c}: {us:.0f} µs" for c, us in costs.items())
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
            f"streams; policy on ended at complexity {on.complexity} ({on.steps_down} down, {on.steps_up} up; "
            f"{levels}); node used {on.cpu_cores:.2f} cores, other processes {on.other_cores:.2f}; "
            f"libopus alone per frame by complexity: {ladder}",
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
    rounds = 1 if opts.quick else 2
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
