"""The node's side of the overload policy: every `check_interval_ms` it reads the playbacks' encoding buffers and
the frames lost to late encoders, asks the policy (overload.py) and sets the complexity every encoder reads.

O(players) per check (4 a second by default), nothing per frame. It sleeps while there is no playback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection
from typing import Protocol

from lavalink_py.audio.frame_loss import LossContext
from lavalink_py.audio.overload import ComplexityDial, LoadObservation, OverloadPolicy, OverloadSettings

log = logging.getLogger(__name__)


class Observed(Protocol):
    @property
    def encoding_fill(self) -> float | None: ...

    @property
    def encoder_complexity(self) -> int | None: ...


def observe(playbacks: Collection[Observed], low_watermark: float, encoder_late: int) -> LoadObservation:
    streams = behind = 0
    lowest = 1.0
    for playback in playbacks:
        fill = playback.encoding_fill
        if fill is None:
            continue
        streams += 1
        if fill < low_watermark:
            behind += 1
        lowest = min(lowest, fill)
    return LoadObservation(streams=streams, behind=behind, lowest_fill=lowest, encoder_late=encoder_late)


class OverloadMonitor:
    def __init__(
        self,
        settings: OverloadSettings,
        top: int,
        playbacks: Collection[Observed],
        loss: LossContext,
        now: Callable[[], float] = time.monotonic,
        *,
        bitrate: int = 128_000,
    ) -> None:
        self.settings = settings
        self.policy = OverloadPolicy(settings, top, bitrate)
        self.dial = ComplexityDial(top, bitrate)
        self._playbacks = playbacks
        self._loss = loss
        self._late_seen = loss.encoder_late_pressure
        self._now = now
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def check(self) -> None:
        # A stream's misses while it fills up after its start are left out (Playback's start-up grace).
        late = self._loss.encoder_late_pressure
        obs = observe(self._playbacks, self.settings.low_watermark, late - self._late_seen)
        self._late_seen = late
        before = self.dial.level
        self.dial.level = self.policy.observe(self._now(), obs)
        if self.dial.level != before:
            log.info(
                "overload: Opus %s -> %s (%d encoded streams, %d below %.0f %% of their buffer)",
                before.describe(),
                self.dial.level.describe(),
                obs.streams,
                obs.behind,
                100 * self.settings.low_watermark,
            )

    def streams_by_complexity(self) -> dict[int, int]:
        """Encoded streams per libopus complexity their encoder runs at now; every level of the ladder is listed
        (0 when none), so the metric has its samples on an idle node too."""
        counts = Counter(p.encoder_complexity for p in self._playbacks)
        out = dict.fromkeys((level.complexity for level in self.policy.ladder), 0)
        out.update((level, n) for level, n in counts.items() if level is not None)
        return out

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None and self.settings.enabled:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="overload-monitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        interval_s = self.settings.check_interval_ms / 1000
        while True:
            if not self._playbacks:
                self._wake.clear()
                await self._wake.wait()
            await asyncio.sleep(interval_s)
            try:
                self.check()
            except Exception:
                log.exception("overload check failed")
