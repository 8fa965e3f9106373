"""Overload policy: when the transcoding workers fall behind, lower the Opus complexity before frames are lost.

Pure decision logic, fed with observations and a time (`now`, seconds on any monotonic clock), so tests drive it
with a fake clock. The node (overload_monitor.py) observes every `check_interval_ms`: how full the frame buffers of
the streams it encodes are, and how many frames the encoders delivered late since the last observation
(frame_loss.py). libopus' complexity is the one knob that trades CPU for quality without a gap, and a changed
complexity applies at the encoder's next frame. Measured at 128 kb/s stereo (bench/overload.py): 10, 9 and 8 cost
the same, 7 about 0.75 of it, 5 0.5-0.8 (by the signal), 0 0.42-0.47; hence the complexities 10 -> 7 -> 5 -> 0.
Below complexity 0 the knob that cuts the most of what is left for the least audible harm is the bitrate: 64 kb/s
(Discord's default channel bitrate) costs 0.75 of complexity 0 at 128 kb/s, so the ladder's last step is that
(`reduced_bitrate`). Measured and left out of the default (bench/overload.py, BENCHMARKS.md "Overload"): a
narrower band saves 5-7 % at 128 kb/s and nothing at 64 kb/s (`reduced_bandwidth`, off unless set: for a node that
keeps its bitrate), 48 kb/s 5 % more than 64, forced mono 10 % and at once heard. Each applies from the encoder's
next frame, with no gap.

Rules (one level per step, `levels` from the configured opusEncodingQuality down):
- the ladder (`OverloadSettings.ladder`): opusEncodingQuality, each of `levels` below it, then at the lowest
  complexity `reduced_bitrate` (when below the configured bitrate), then `reduced_bandwidth` with it;
- pressure = at least `behind_share` of the encoded streams (at least one) hold less than `low_watermark` of their
  buffer, or an encoder delivered a frame late: one level down, then at most one more per `step_interval_ms`, so a
  step has time to show in the buffers before the next;
- healthy = no encoded stream below `healthy_watermark` and no late frame: after `recover_after_ms` of it, one
  level up. A step up that brings pressure back within `recover_after_ms` doubles the next wait (up to 8 times), so the
  node does not oscillate between two levels; a full `recover_after_ms` of health at the top resets the back-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

MAX_BACKOFF = 8
# libopus' OPUS_SET_MAX_BANDWIDTH values, by the names the settings use.
BANDWIDTHS = {"fullband": 1105, "superwideband": 1104, "wideband": 1103}
FULLBAND = BANDWIDTHS["fullband"]


class EncoderLevel(NamedTuple):
    """What the encoders run at on one step of the ladder."""

    complexity: int
    bitrate: int = 128_000
    bandwidth: str = "fullband"

    def describe(self) -> str:
        return f"complexity {self.complexity}, {self.bitrate // 1000} kb/s, {self.bandwidth}"


@dataclass(frozen=True, slots=True)
class OverloadSettings:
    enabled: bool = True
    levels: tuple[int, ...] = (10, 7, 5, 0)
    reduced_bitrate: int | None = 64_000  # None: no bitrate step
    reduced_bandwidth: str | None = None  # None: no bandwidth step
    low_watermark: float = 0.5
    healthy_watermark: float = 0.7
    behind_share: float = 0.05
    step_interval_ms: int = 1000
    recover_after_ms: int = 30_000
    check_interval_ms: int = 250

    def __post_init__(self) -> None:
        if any(not 0 <= level <= 10 for level in self.levels):
            raise ValueError(f"levels must be libopus complexities 0..10, got {self.levels}")
        if not 0 < self.low_watermark <= self.healthy_watermark <= 1:
            raise ValueError("watermarks must satisfy 0 < low_watermark <= healthy_watermark <= 1")
        if self.reduced_bandwidth is not None and self.reduced_bandwidth not in BANDWIDTHS:
            raise ValueError(f"reduced_bandwidth must be one of {sorted(BANDWIDTHS)}, got {self.reduced_bandwidth}")
        if self.reduced_bitrate is not None and not 6_000 <= self.reduced_bitrate <= 510_000:
            raise ValueError(f"reduced_bitrate must be 6000..510000 b/s, got {self.reduced_bitrate}")

    def complexities(self, top: int) -> tuple[int, ...]:
        """The complexities to step through: `top` (the configured opusEncodingQuality), then each lower level."""
        return (top, *sorted({level for level in self.levels if level < top}, reverse=True))

    def ladder(self, top: int, bitrate: int = 128_000) -> tuple[EncoderLevel, ...]:
        """Every step, from `top` at the configured `bitrate` down: the complexities, then the lower bitrate, then
        the narrower band (each only when it lowers what the step before had)."""
        steps = [EncoderLevel(c, bitrate) for c in self.complexities(top)]
        lowest = steps[-1]
        if self.reduced_bitrate is not None and self.reduced_bitrate < bitrate:
            lowest = lowest._replace(bitrate=self.reduced_bitrate)
            steps.append(lowest)
        if self.reduced_bandwidth is not None and BANDWIDTHS[self.reduced_bandwidth] < FULLBAND:
            steps.append(lowest._replace(bandwidth=self.reduced_bandwidth))
        return tuple(steps)


@dataclass(frozen=True, slots=True)
class LoadObservation:
    """What the transcoding pool looks like now. `streams`: encoded (not passthrough) streams that are playing;
    `behind`: those below the low watermark; `lowest_fill`: the emptiest one's buffer, 0-1 (1.0 when none);
    `encoder_late`: frames lost to late encodes since the previous observation."""

    streams: int
    behind: int
    lowest_fill: float
    encoder_late: int = 0


class OverloadPolicy:
    def __init__(self, settings: OverloadSettings, top: int, bitrate: int = 128_000) -> None:
        self.settings = settings
        self.ladder = settings.ladder(top, bitrate) if settings.enabled else (EncoderLevel(top, bitrate),)
        self._index = 0
        self._changed_at: float | None = None
        self._healthy_since: float | None = None
        self._raised_at: float | None = None
        self._backoff = 1
        self.steps_down = 0
        self.steps_up = 0

    @property
    def encoder(self) -> EncoderLevel:
        return self.ladder[self._index]

    @property
    def complexity(self) -> int:
        return self.ladder[self._index].complexity

    @property
    def level(self) -> int:
        """0 at the configured complexity, 1 after the first step down, ..."""
        return self._index

    def observe(self, now: float, obs: LoadObservation) -> EncoderLevel:
        """Feed one observation; returns what the encoders should run at from now on."""
        s = self.settings
        if self._pressure(obs):
            self._healthy_since = None
            if self._raised_at is not None and now - self._raised_at < s.recover_after_ms / 1000:
                self._backoff = min(MAX_BACKOFF, self._backoff * 2)  # the last step up was one too many
                self._raised_at = None
            if self._index + 1 < len(self.ladder) and self._may_step(now, s.step_interval_ms):
                self._index += 1
                self._changed_at = now
                self.steps_down += 1
        elif self._healthy(obs):
            if self._healthy_since is None:
                self._healthy_since = now
            wait_s = s.recover_after_ms * self._backoff / 1000
            if now - self._healthy_since >= wait_s:
                if self._index > 0:
                    self._index -= 1
                    self._changed_at = self._raised_at = now
                    self.steps_up += 1
                else:
                    self._backoff = 1
                self._healthy_since = now
        else:
            self._healthy_since = None
        return self.encoder

    def _pressure(self, obs: LoadObservation) -> bool:
        if obs.encoder_late > 0:
            return True
        need = max(1, math.ceil(self.settings.behind_share * obs.streams))
        return obs.streams > 0 and obs.behind >= need

    def _healthy(self, obs: LoadObservation) -> bool:
        return obs.encoder_late == 0 and obs.lowest_fill >= self.settings.healthy_watermark

    def _may_step(self, now: float, interval_ms: int) -> bool:
        return self._changed_at is None or now - self._changed_at >= interval_ms / 1000


class ComplexityDial:
    """What every encoder of the node runs at, read before its next batch (one reference store: safe across
    threads)."""

    __slots__ = ("level",)

    def __init__(self, complexity: int, bitrate: int = 128_000) -> None:
        self.level = EncoderLevel(complexity, bitrate)

    @property
    def complexity(self) -> int:
        return self.level.complexity
