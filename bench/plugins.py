"""What the plugin layer costs: building the node with 0, 1 and 10 folder plugins, and pluginInfo modifiers on a
100-track playlist.

    python -m bench.plugins [--rounds 30]

`build_app` is timed whole (config already parsed): entry-point discovery, importing folder plugins (a fresh module
each build), the built-in sources' set-up, metrics, routes. The modifier figure is `with_plugin_info` alone, as
`/v4/loadtracks` runs it after every load.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lavalink_py.app import build_app
from lavalink_py.config import settings_from_dict
from lavalink_py.plugins import with_plugin_info
from lavalink_py.plugins.api import PlaylistLoaded, Track, TrackInfo, make_track

EXAMPLE = Path(__file__).resolve().parent.parent / "plugins" / "examples" / "tone.py"


def timed_ms(run: Callable[[], object], rounds: int) -> tuple[float, float]:
    run()  # imports and caches warm
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def build_with(count: int, rounds: int) -> tuple[float, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-plugins-"))
    try:
        for i in range(count):
            text = EXAMPLE.read_text().replace('name = "tone"', f'name = "tone{i}"').replace(
                'name: str = "tone"', f'name: str = "tone{i}"')
            text = text.replace('["tonesearch:"]', f'["tone{i}search:"]').replace('"/v4/tone/played"',
                                                                               f'"/v4/tone{i}/played"')
            (folder / f"tone{i}.py").write_text(text)
        settings = settings_from_dict(
            {"lavalink": {"pluginsDir": str(folder), "server": {"password": "x"}}}
        ).settings
        return timed_ms(lambda: build_app(settings), rounds)
    finally:
        shutil.rmtree(folder)


class Tagger:
    def track(self, track: Track) -> Mapping[str, Any] | None:
        return {"tagged": True}

    def playlist(self, playlist: PlaylistLoaded) -> Mapping[str, Any] | None:
        return {"size": len(playlist.tracks)}


def modifiers(rounds: int) -> tuple[tuple[float, float], tuple[float, float]]:
    tracks = [make_track(TrackInfo(f"t{i}", "a", 1000, f"id{i}", False, None, "bench")) for i in range(100)]
    playlist = PlaylistLoaded("bench", tracks)
    none = timed_ms(lambda: with_plugin_info(playlist, []), rounds * 10)
    one = timed_ms(lambda: with_plugin_info(playlist, [("tagger", Tagger())]), rounds * 10)
    return none, one


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for count in (0, 1, 10):
        median, best = build_with(count, args.rounds)
        print(f"build_app, {count:2d} folder plugins: median {median:6.2f} ms, min {best:6.2f} ms")
    (m0, b0), (m1, b1) = modifiers(args.rounds)
    print(f"with_plugin_info, 100-track playlist, 0 modifiers: median {m0 * 1000:7.1f} us, min {b0 * 1000:7.1f} us")
    print(f"with_plugin_info, 100-track playlist, 1 modifier:  median {m1 * 1000:7.1f} us, min {b1 * 1000:7.1f} us")


if __name__ == "__main__":
    main()
