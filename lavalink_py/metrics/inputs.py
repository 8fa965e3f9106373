"""Read-only views of node state that collectors and health checks take through their constructors.

The sessions and player code implement these Protocols; metrics never imports them. Each method is called on
the event loop during a scrape or a health request, so it must be cheap and must not block: count what is
already in memory and return a frozen snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PlayerStatsSnapshot:
    playing: int = 0
    paused: int = 0
    # Players that exist but have no track (Lavalink's "not playing").
    stopped: int = 0
    # Distinct guilds with at least one player: a count, never a per-guild label (unbounded cardinality).
    guilds: int = 0


@dataclass(frozen=True, slots=True)
class SessionStatsSnapshot:
    # Sessions with an open client WebSocket.
    connected: int = 0
    # Sessions kept for resuming while their WebSocket is gone.
    resumable: int = 0


@dataclass(frozen=True, slots=True)
class VoiceStatsSnapshot:
    connected: int = 0
    connecting: int = 0
    # Connections that gave up (close code policy said "give up") and still have a player attached.
    failed: int = 0
    # DAVE's MLS lane (voice/mls_lane.py LaneStats): calls run, calls deferred to a later frame window, and the
    # wall and CPU time spent inside them.
    mls_calls: int = 0
    mls_deferred: int = 0
    mls_busy_seconds: float = 0.0
    mls_cpu_seconds: float = 0.0
    # Voice worker processes (lavalink.server.voiceWorkers > 0), one per worker slot; empty when voice runs here.
    workers: tuple[VoiceWorkerSnapshot, ...] = ()


@dataclass(frozen=True, slots=True)
class VoiceWorkerSnapshot:
    """One voice worker slot; the counters add up over the processes that held it (restarts included)."""

    worker: int
    links: int = 0
    packets_sent: int = 0
    batches: int = 0
    cpu_seconds: float = 0.0
    restarts: int = 0


@dataclass(frozen=True, slots=True)
class ThreadPoolSnapshot:
    max_workers: int
    threads: int
    active: int
    queued: int


class PlayerStatsSource(Protocol):
    def player_stats(self) -> PlayerStatsSnapshot: ...


class SessionStatsSource(Protocol):
    def session_stats(self) -> SessionStatsSnapshot: ...


class VoiceStatsSource(Protocol):
    def voice_stats(self) -> VoiceStatsSnapshot: ...


class SourceStatusSource(Protocol):
    def source_status(self) -> Mapping[str, bool]:
        """Source manager name -> usable right now (e.g. yt-dlp importable, local root readable)."""
        ...


class ThreadPoolSource(Protocol):
    @property
    def pool_name(self) -> str: ...

    def pool_stats(self) -> ThreadPoolSnapshot: ...


class FrameClockCounts(Protocol):
    """The audio engine's frame clock as the player collector reads it: plain ints it adds to once per tick.

    `sent`: frames handed to voice connections; `nulled`: player-ticks on which a playing player had no frame
    ready (buffer underrun); `lost`: frames due to playing players on ticks the clock skipped because the event
    loop woke too late. lavalink_py.audio.clock.FrameClock matches this as it is.
    """

    @property
    def sent(self) -> int: ...

    @property
    def nulled(self) -> int: ...

    @property
    def lost(self) -> int: ...


@dataclass(frozen=True, slots=True)
class AudioLoadSnapshot:
    """Frame loss by cause (every player, removed ones included) and the overload policy's state."""

    frames_lost: Mapping[str, int] = field(default_factory=dict)  # cause -> frames (audio/frame_loss.py CAUSES)
    opus_complexity: int = 10  # what the policy asks encoders for now
    overload_level: int = 0  # the policy's step on its ladder (0: opusEncodingQuality at the configured bitrate)
    opus_bitrate: int = 128_000  # the bitrate the policy asks encoders for now, b/s
    streams_by_complexity: Mapping[int, int] = field(default_factory=dict)  # encoded streams per complexity
    steps_down: int = 0
    steps_up: int = 0
    shared_frames_dropped: int = 0  # live frames a shared stream's taps dropped (audio/shared.py ShareRegistry)


class AudioLoadSource(Protocol):
    def audio_load(self) -> AudioLoadSnapshot: ...


class NoNodeState:
    """Stands in for the sessions/players/voice until the app wires the real ones (and in tests)."""

    def player_stats(self) -> PlayerStatsSnapshot:
        return PlayerStatsSnapshot()

    def session_stats(self) -> SessionStatsSnapshot:
        return SessionStatsSnapshot()

    def voice_stats(self) -> VoiceStatsSnapshot:
        return VoiceStatsSnapshot()

    def audio_load(self) -> AudioLoadSnapshot:
        return AudioLoadSnapshot()
