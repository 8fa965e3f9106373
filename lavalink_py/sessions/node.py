"""The node: every session, the track loaders, and the figures Lavalink's `stats` reports."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Protocol

import psutil

from lavalink_py.audio import AudioEngine
from lavalink_py.player.services import BackgroundTasks, DiscordVoice, PlayerServices, VoiceFactory, WorkerVoice
from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.messages import FrameStats, NodeStats
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.session import MessageObserver, Session, SessionEnded
from lavalink_py.sources.base import StreamSpec

if TYPE_CHECKING:
    from lavalink_py.voice.workers import SlotStats


class TrackLoader(Protocol):
    async def load(self, identifier: str) -> LoadResult: ...

    def names(self) -> list[str]: ...

    async def open_stream(self, info: TrackInfo) -> StreamSpec: ...

    async def close(self) -> None: ...


FRAMES_PER_MINUTE = 3000
VOICE_DRIVER = "lavalink_py.voice.connection"


class Node:
    def __init__(
        self,
        loader: TrackLoader,
        audio: AudioEngine,
        observer: MessageObserver | None = None,
        connect_voice: VoiceFactory | None = None,
        on_session_end: SessionEnded | None = None,
    ) -> None:
        self.tasks = BackgroundTasks()
        self.audio = audio
        if connect_voice is None or isinstance(connect_voice, DiscordVoice):
            audio.warm_on_first_playback.append(VOICE_DRIVER)
        services = PlayerServices(audio, loader.open_stream, connect_voice or DiscordVoice(audio.clock), self.tasks)
        self.sessions = SessionManager(services, observer, on_session_end)
        self._voice = services.connect_voice
        self.loader = loader
        self._frame_marks: dict[int, tuple[float, int, int]] = {}
        self._started = time.monotonic()
        self._process = psutil.Process()
        # cpu_percent() measures since its previous call; prime both so the first stats are meaningful.
        self._process.cpu_percent()
        psutil.cpu_percent()

    def voice_worker_stats(self) -> list[SlotStats]:
        """Per voice worker slot (links, packets, batches, CPU, restarts); empty when voice runs in this process."""
        return self._voice.worker_stats() if isinstance(self._voice, WorkerVoice) else []

    async def close_voice(self) -> None:
        """Stops the voice worker processes, if voice runs in any (after the players have closed)."""
        if isinstance(self._voice, WorkerVoice):
            await self._voice.close()

    def stats(self) -> NodeStats:
        players = list(self.sessions.players())
        rss = self._process.memory_info().rss
        virtual = psutil.virtual_memory()
        cores = os.cpu_count() or 1
        return NodeStats(
            players=len(players),
            playing_players=sum(1 for p in players if p.is_playing),
            uptime_ms=int((time.monotonic() - self._started) * 1000),
            # The JVM's heap figures have no twin here: the process's resident memory is both what is allocated
            # and what is used, and the machine's memory is what it could grow to (see docs/architecture.md).
            memory_free=virtual.available,
            memory_used=rss,
            memory_allocated=rss,
            memory_reservable=virtual.total,
            cores=cores,
            system_load=psutil.cpu_percent() / 100.0,
            # psutil's figure is CPU time over the wall time since the last call, which overshoots 100 % per core
            # when the two are sampled a scheduler tick apart; Lavalink's load is a share, 0 to 1.
            lavalink_load=min(1.0, self._process.cpu_percent() / 100.0 / cores),
        )

    def frame_stats_round(self, now_s: float | None = None) -> list[tuple[Session, FrameStats | None]]:
        """Every session's frame stats for one `stats` tick, then the marks of players gone since are dropped.

        The pruning runs once per round, over the players, not once per session (sessions x players per tick).
        """
        now = time.monotonic() if now_s is None else now_s
        round_ = [(session, self.frame_stats(session, now)) for session in self.sessions.sessions()]
        if len(self._frame_marks) > sum(len(session.players) for session, _ in round_):
            live = {id(player) for session, _ in round_ for player in session.players.values()}
            for key in self._frame_marks.keys() - live:
                del self._frame_marks[key]
        return round_

    def frame_stats(self, session: Session, now_s: float | None = None) -> FrameStats | None:
        """Frames per minute since the previous `stats`, averaged over the session's playing, connected players.

        Lavalink's AudioLossCounter: `deficit` is what a player should have sent (one frame per 20 ms) minus what
        it sent or nulled. A player counts once it has been measured over at least a second; None when no player
        has (Lavalink then omits the field).
        """
        now = time.monotonic() if now_s is None else now_s
        usable: list[tuple[float, float]] = []
        for player in session.players.values():
            sent, nulled = player.frames
            mark = self._frame_marks.get(id(player))
            self._frame_marks[id(player)] = (now, sent, nulled)
            if mark is None or not (player.is_playing and player.connected):
                continue
            then, sent_before, nulled_before = mark
            elapsed = now - then
            if elapsed >= 1.0:
                per_minute = 60.0 / elapsed
                usable.append(((sent - sent_before) * per_minute, (nulled - nulled_before) * per_minute))
        if not usable:
            return None
        sent_avg = sum(s for s, _ in usable) / len(usable)
        nulled_avg = sum(n for _, n in usable) / len(usable)
        return FrameStats(
            sent=round(sent_avg),
            nulled=round(nulled_avg),
            deficit=round(FRAMES_PER_MINUTE - sent_avg - nulled_avg),
        )
