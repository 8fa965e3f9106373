"""Extreme timescale values: the node neither crashes (an FFmpeg abort would take the whole process) nor runs away
(speed 1e-6 would make a million times the track); each factor plays within 0.1-10 and the echo keeps the value."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from lavalink_py.audio.filters import default_registry
from lavalink_py.protocol.filters import parse_filters

VALUES = (1e-9, 0.37, 1.0, 2.7, 1e9)


def test_every_combination_runs_in_a_child_process() -> None:
    # A child process, so that an abort inside FFmpeg fails this test instead of killing pytest.
    script = textwrap.dedent(
        f"""
        import itertools
        import numpy as np
        from lavalink_py.audio.filters import default_registry
        from lavalink_py.protocol.filters import parse_filters
        registry = default_registry()
        block = (np.random.default_rng(1).standard_normal((9600, 2)) * 0.1).astype(np.float32)
        for speed, pitch, rate in itertools.product({VALUES!r}, repeat=3):
            filters = {{"timescale": {{"speed": speed, "pitch": pitch, "rate": rate}}}}
            plan = registry.plan(parse_filters(filters, registry))
            if plan is None:
                continue  # all 1.0: no stage
            chain = plan.open()
            out = len(chain.process(block)) + len(chain.flush())
            # 0.2 s in; the output lasts 0.2 / (speed x rate) with each factor held to 0.1-10.
            assert out <= 9600 * 100 + 48000, (speed, pitch, rate, out)
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.strip() == "ok"


def test_the_echo_keeps_what_was_sent_and_the_position_uses_the_bound() -> None:
    registry = default_registry()
    filters = parse_filters({"timescale": {"speed": 1e-6, "rate": 50}}, registry)
    assert filters.builtin[0].json == {"speed": 1e-6, "pitch": 1.0, "rate": 50}
    plan = registry.plan(filters)
    assert plan is not None
    assert plan.speed == 0.1 * 10.0
