"""What a live stream's in-place filter change costs: memory kept per live player, CPU of one change.

    python -m bench.live_restyle --repeats 5

A live stream (isStream) keeps its decoded source to redo its buffered frames on a volume/filter change
(audio/restyle.py). For an MP3 radio (48 kHz, so 16-bit PCM is kept) and an Ogg Opus radio (passed through, so its
packets are kept), each with the default 5 s frame buffer full: the bytes the history holds, then the CPU (thread
clock) of one change that redoes the buffer (a low pass coming in, then going out), as a ratio to making the same
frames the first time (`fill`, the peer measured in the same run). Driven straight through `TrackStream` (no clock):
the consumer is simulated by popping frames.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.audio import write_sweep
from lavalink_py.audio import EngineSettings
from lavalink_py.audio.filters import default_registry
from lavalink_py.audio.filters.chain import FilterPlan
from lavalink_py.audio.pipeline import TrackStream
from lavalink_py.protocol.filters import parse_filters
from lavalink_py.sources.base import StreamSpec


def low_pass() -> FilterPlan | None:
    registry = default_registry()
    return registry.plan(parse_filters({"lowPass": {"smoothing": 20.0}}, registry))


def run_once(path: Path) -> tuple[int, float, float, float, int]:
    """(history bytes with the buffer full, fill CPU s, rewind-in CPU s, rewind-out CPU s, frames redone)."""
    settings = EngineSettings()
    stream = TrackStream(
        StreamSpec(str(path), is_live=True), start_ms=0, end_ms=None, settings=settings, volume=100, filters=None
    )
    clock = time.thread_time
    t0 = clock()
    while stream.buffer.free() > 0:
        stream.fill(settings.batch_frames)
    fill_s = clock() - t0
    made = len(stream.buffer)
    for _ in range(50):  # the listener plays a second
        stream.buffer.pop()
        stream.sent += 1
    stream.fill(settings.batch_frames)
    kept = stream.history_bytes
    stream.wanted_filters = low_pass()
    t0 = clock()
    stream.restyle(stream.sent, stream.sent + 9)
    in_s = clock() - t0
    redone = len(stream.buffer) - 9
    stream.wanted_filters = None
    t0 = clock()
    stream.restyle(stream.sent, stream.sent + 9)
    out_s = clock() - t0
    stream.close()
    return kept, fill_s / made, in_s / max(1, redone), out_s / max(1, redone), redone


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sources = {
            "MP3 radio (PCM kept)": write_sweep(Path(tmp) / "radio.mp3", "libmp3lame", 48_000, 12.0),
            "Ogg Opus radio, passthrough (packets kept)": write_sweep(Path(tmp) / "radio.ogg", "libopus", 48_000, 12.0),
        }
        print(f"{'source':44} {'kept KB':>8} {'fill ms/frame':>14} {'in ms/frame':>12} {'ratio':>6} "
              f"{'out ms/frame':>13} {'ratio':>6} {'frames':>7}")
        for name, path in sources.items():
            runs = [run_once(path) for _ in range(args.repeats)]
            kept = statistics.median(r[0] for r in runs)
            fill = statistics.median(r[1] for r in runs)
            rin = statistics.median(r[2] for r in runs)
            rout = statistics.median(r[3] for r in runs)
            frames = statistics.median(r[4] for r in runs)
            print(f"{name:44} {kept / 1024:8.0f} {fill * 1e3:14.3f} {rin * 1e3:12.3f} {rin / fill:6.2f} "
                  f"{rout * 1e3:13.3f} {rout / fill:6.2f} {frames:7.0f}")


if __name__ == "__main__":
    main()
