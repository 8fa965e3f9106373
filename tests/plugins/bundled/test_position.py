"""Waiting for a position (SponsorBlock segments, live lyrics lines) reads the player's position a few times, not
every poll interval: on a simulated clock (time is an argument), a mark a minute away takes ~70 reads instead of
1200, is reached no later than one poll interval after it, and a sped-up or paused track is followed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lavalink_py.plugins.api import PluginContext, Track, TrackInfo, make_track
from lavalink_py.plugins.bundled.position import next_wait, reach

POLL_S = 0.05


@dataclass
class Playback:
    """A player whose position follows a simulated clock at `pace` (the PluginPlayer a plugin sees)."""

    track: Track | None
    pace: float = 1.0
    now: float = 0.0
    base_ms: float = 0.0
    reads: int = 0
    changes: Sequence[tuple[float, float]] = field(default_factory=tuple)  # (at s, new pace)

    @property
    def position_ms(self) -> int:
        self.reads += 1
        return int(self.base_ms)

    def seek(self, position_ms: int) -> None:
        self.base_ms = position_ms

    async def sleep(self, seconds: float) -> None:
        end = self.now + seconds
        for at, pace in self.changes:
            if self.now <= at < end:
                self.base_ms += (at - self.now) * 1000 * self.pace
                self.now, self.pace = at, pace
        self.base_ms += (end - self.now) * 1000 * self.pace
        self.now = end


class Context:
    def __init__(self, playback: Playback) -> None:
        self.playback = playback

    def player(self, session_id: str, guild_id: int) -> Playback:
        return self.playback


TRACK = make_track(TrackInfo("t", "a", 600_000, "id", False, None, "youtube"))


async def run(playback: Playback, at_ms: int) -> int | None:
    context: Any = Context(playback)
    ctx: PluginContext = context
    return await reach(ctx, "s", 1, TRACK.encoded, at_ms=at_ms, poll_s=POLL_S, clock=lambda: playback.now,
                       sleep=playback.sleep)


async def test_a_mark_a_minute_away_takes_few_reads_and_is_reached_within_a_poll() -> None:
    playback = Playback(TRACK)
    position = await run(playback, 60_000)
    assert position is not None and 60_000 <= position <= 60_000 + POLL_S * 1000
    assert playback.reads < 80  # reading every 50 ms would be 1200


async def test_a_sped_up_track_is_not_overshot_and_a_paused_one_is_waited_for() -> None:
    fast = Playback(TRACK, pace=3.0)  # timescale speed 3
    position = await run(fast, 30_000)
    assert position is not None and position <= 30_000 + 3 * POLL_S * 1000
    paused = Playback(TRACK, pace=0.0, changes=((20.0, 1.0),))  # paused 20 s, then resumed
    position = await run(paused, 5_000)
    assert position is not None and 5_000 <= position <= 5_000 + POLL_S * 1000


async def test_the_wait_ends_when_the_track_is_gone() -> None:
    assert await run(Playback(None), 1000) is None


def test_waits_are_bounded() -> None:
    assert next_wait(60_000, 1.0, poll_s=POLL_S, max_wait_s=1.0) == 1.0
    assert next_wait(40, 1.0, poll_s=POLL_S, max_wait_s=1.0) == POLL_S
    assert next_wait(400, 2.0, poll_s=POLL_S, max_wait_s=1.0) == 0.1
