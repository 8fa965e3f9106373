"""Players, voice connections, player events and audio frames.

Players and voice come from read-only snapshots the sessions provide; events and durations from plain counters;
frames from the audio engine's frame clock (read, never written) plus what other code adds to `FrameStats`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import counter, counts_family, gauge, histograms_family
from lavalink_py.metrics.counters import FrameStats, PlayerEventStats
from lavalink_py.metrics.inputs import (
    AudioLoadSnapshot,
    AudioLoadSource,
    FrameClockCounts,
    PlayerStatsSnapshot,
    PlayerStatsSource,
    VoiceStatsSnapshot,
    VoiceStatsSource,
)


@dataclass(frozen=True, slots=True)
class _State:
    players: PlayerStatsSnapshot
    voice: VoiceStatsSnapshot
    frames: FrameStats
    audio: AudioLoadSnapshot


class PlayerCollector:
    name = "player"

    def __init__(
        self,
        players: PlayerStatsSource,
        voice: VoiceStatsSource,
        events: PlayerEventStats,
        frames: FrameStats,
        clock: FrameClockCounts | None = None,
        *,
        audio: AudioLoadSource | None = None,
    ) -> None:
        self._players = players
        self._voice = voice
        self._events = events
        self._frames = frames
        self._clock = clock
        self._audio = audio

    def collect(self) -> Iterable[Metric]:
        audio = self._audio.audio_load() if self._audio is not None else AudioLoadSnapshot()
        players, voice = self._players.player_stats(), self._voice.voice_stats()
        return self._families(_State(players, voice, self._frame_totals(), audio))

    def _frame_totals(self) -> FrameStats:
        f, clock = self._frames, self._clock
        if clock is None:
            return f
        return FrameStats(sent=f.sent + clock.sent, lost=f.lost + clock.lost, underruns=f.underruns + clock.nulled)

    def describe(self) -> Iterable[Metric]:
        return self._families(None)

    def _families(self, state: _State | None) -> Iterable[Metric]:
        # Gauges despite `_total`: the Lavalink Rust guide's names, kept for its dashboards (docs/metrics.md).
        players = gauge("lavalink_players_total", "Players on this node by state.", ["state"])
        guilds = gauge("lavalink_players_by_guild_total", "Distinct guilds with at least one player.")
        voice = gauge("lavalink_voice_connections", "Discord voice connections by state.", ["state"])
        sent = counter("lavalink_audio_frames_sent", "Opus frames sent to Discord.")
        lost = counter("lavalink_audio_frames_lost", "Frames due that were never sent (deficit or send failure).")
        underruns = counter(
            "lavalink_audio_buffer_underruns", "Ticks on which a playing player's frame buffer was empty."
        )
        if state is not None:
            p, v, f = state.players, state.voice, state.frames
            players.add_metric(["playing"], p.playing)
            players.add_metric(["paused"], p.paused)
            players.add_metric(["stopped"], p.stopped)
            guilds.add_metric([], p.guilds)
            voice.add_metric(["connected"], v.connected)
            voice.add_metric(["connecting"], v.connecting)
            voice.add_metric(["failed"], v.failed)
            sent.add_metric([], f.sent)
            lost.add_metric([], f.lost)
            underruns.add_metric([], f.underruns)
        yield from (players, guilds, voice, sent, lost, underruns)
        yield from self._mls_families(None if state is None else state.voice)
        yield from self._worker_families(None if state is None else state.voice)
        yield from self._audio_families(None if state is None else state.audio)
        yield counts_family("lavalink_player_events", "Player events by type.", ["type"], self._events.events.items())
        yield histograms_family(
            "lavalink_player_duration_seconds",
            "How long tracks played (type=track) and sessions lasted (type=session).",
            ["type"],
            self._events.durations.items(),
        )

    def _mls_families(self, v: VoiceStatsSnapshot | None) -> Iterable[Metric]:
        calls = counter("lavalink_voice_mls_calls", "DAVE MLS calls run on the node's MLS lane.")
        deferred = counter(
            "lavalink_voice_mls_deferred", "DAVE MLS calls that waited for a later frame window (budget spent)."
        )
        busy = counter("lavalink_voice_mls_busy_seconds", "Wall time inside DAVE MLS calls.")
        cpu = counter("lavalink_voice_mls_cpu_seconds", "CPU time inside DAVE MLS calls.")
        if v is not None:
            calls.add_metric([], v.mls_calls)
            deferred.add_metric([], v.mls_deferred)
            busy.add_metric([], v.mls_busy_seconds)
            cpu.add_metric([], v.mls_cpu_seconds)
        yield from (calls, deferred, busy, cpu)

    def _worker_families(self, v: VoiceStatsSnapshot | None) -> Iterable[Metric]:
        links = gauge("lavalink_voice_worker_links", "Voice connections hosted by each voice worker.", ["worker"])
        packets = counter("lavalink_voice_worker_packets_sent", "RTP packets each voice worker sent.", ["worker"])
        batches = counter("lavalink_voice_worker_batches", "Frame batches (one per tick) each voice worker took.",
                          ["worker"])
        cpu = counter("lavalink_voice_worker_cpu_seconds", "CPU time of each voice worker's processes.", ["worker"])
        restarts = counter(
            "lavalink_voice_worker_restarts", "Times each voice worker's process ended and was replaced.", ["worker"]
        )
        for w in v.workers if v is not None else ():
            label = [str(w.worker)]
            links.add_metric(label, w.links)
            packets.add_metric(label, w.packets_sent)
            batches.add_metric(label, w.batches)
            cpu.add_metric(label, w.cpu_seconds)
            restarts.add_metric(label, w.restarts)
        yield from (links, packets, batches, cpu, restarts)

    def _audio_families(self, a: AudioLoadSnapshot | None) -> Iterable[Metric]:
        by_cause = counter(
            "lavalink_player_frames_lost",
            "Frames due to playing players that were not sent, by cause (docs/metrics.md).",
            ["cause"],
        )
        complexity = gauge("lavalink_opus_complexity", "libopus complexity the overload policy asks encoders for.")
        streams = gauge(
            "lavalink_opus_streams", "Encoded streams by the libopus complexity they run at.", ["complexity"]
        )
        overload_level = gauge(
            "lavalink_overload_level", "The overload policy's step on its ladder (0: the configured encoder)."
        )
        bitrate = gauge("lavalink_opus_bitrate", "Opus bitrate (b/s) the overload policy asks encoders for.")
        steps = counter("lavalink_overload_steps", "Opus complexity steps the overload policy took.", ["direction"])
        shared_dropped = counter(
            "lavalink_shared_stream_frames_dropped", "Live frames a shared stream's players did not take in time."
        )
        if a is not None:
            for cause, frames in a.frames_lost.items():
                by_cause.add_metric([cause], frames)
            complexity.add_metric([], a.opus_complexity)
            overload_level.add_metric([], a.overload_level)
            bitrate.add_metric([], a.opus_bitrate)
            for level, n in sorted(a.streams_by_complexity.items()):
                streams.add_metric([str(level)], n)
            steps.add_metric(["down"], a.steps_down)
            steps.add_metric(["up"], a.steps_up)
            shared_dropped.add_metric([], a.shared_frames_dropped)
        yield from (by_cause, complexity, overload_level, bitrate, streams, steps, shared_dropped)
