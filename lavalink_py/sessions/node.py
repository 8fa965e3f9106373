"""The node: every session, the track loaders, and the figures Lavalink's `stats` reports."""

from __future__ import annotations

import os
import time
from typing import Protocol

import psutil

from lavalink_py.audio import AudioEngine
from lavalink_py.player.services import BackgroundTasks, PlayerServices, VoiceFactory, discord_voice
from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.protocol.messages import FrameStats, NodeStats
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.session import MessageObserver, Session
from lavalink_py.sources.base import StreamSpec


class TrackLoader(Protocol):
    async def load(self, identifier: str) -> LoadResult: ...

    def names(self) -> list[str]: ...

    async def open_stream(self, info: TrackInfo) -> StreamSpec: ...

    async def close(self) -> None: ...


class Node:
    def __init__(
        self,
        loader: TrackLoader,
        audio: AudioEngine,
        observer: MessageObserver | None = None,
        connect_voice: VoiceFactory = discord_voice,
    ) -> None:
        self.tasks = BackgroundTasks()
        self.audio = audio
        services = PlayerServices(audio, loader.open_stream, connect_voice, self.tasks)
        self.sessions = SessionManager(services, observer)
        self.loader = loader
        self._started = time.monotonic()
        self._process = psutil.Process()
        # cpu_percent() measures since its previous call; prime both so the first stats are meaningful.
        self._process.cpu_percent()
        psutil.cpu_percent()

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
            lavalink_load=self._process.cpu_percent() / 100.0 / cores,
        )

    def frame_stats(self, session: Session) -> FrameStats | None:
        """Per-player frame counts of the last minute, averaged over the session's playing players.

        None until players report frame counters (they do once audio is attached), as Lavalink omits the field
        when no player has usable counters.
        """
        return None
