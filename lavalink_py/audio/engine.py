"""AudioEngine: the node's frame clock and worker pools; makes one Playback per player."""

from __future__ import annotations

import importlib
from concurrent.futures import ThreadPoolExecutor

from lavalink_py.audio.clock import FrameClock
from lavalink_py.audio.filters.builtins import default_registry
from lavalink_py.audio.filters.registry import FilterRegistry
from lavalink_py.audio.frame_loss import GcWatch, LossContext, PlayerLoss
from lavalink_py.audio.overload_monitor import OverloadMonitor
from lavalink_py.audio.playback import Playback, PlaybackListener
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.audio.shared import ShareRegistry


class AudioEngine:
    def __init__(self, settings: EngineSettings | None = None, filters: FilterRegistry | None = None) -> None:
        self.settings = settings or EngineSettings()
        # The node's filters (built-ins, then what plugins register): parses PATCHes, makes each player's plan.
        self.filters = filters if filters is not None else default_registry()
        # Decoding/encoding is CPU-bound and releases the GIL: one thread per core. Opening a source waits on
        # the network, so it gets its own pool and cannot starve the decoders.
        self.cpu_pool = ThreadPoolExecutor(self.settings.workers, thread_name_prefix="audio-cpu")
        self.io_pool = ThreadPoolExecutor(self.settings.open_workers, thread_name_prefix="audio-io")
        self.clock = FrameClock()
        self.playbacks: set[Playback] = set()
        # Frame-loss attribution (frame_loss.py): node-wide totals and GC timing; the overload policy reads them.
        self.gc_watch = GcWatch()
        self.loss = LossContext(self.clock, self.gc_watch)
        self.overload = OverloadMonitor(
            self.settings.overload,
            self.settings.opus_quality,
            self.playbacks,
            self.loss,
            bitrate=self.settings.opus_bitrate,
        )
        # Live streams of one source and the same settings: one decode/encode fanned out to their players.
        self.shares = ShareRegistry(self.settings, self.overload.dial) if self.settings.share_live_streams else None
        # Modules not imported at start-up (the decode/encode stack: PyAV, numpy, libopus, ~200 ms; the node adds
        # voice's crypto): imported off the loop as soon as a player exists, so its first track and its first voice
        # connection do not wait for them on the loop (issue 11).
        self.warm_on_first_playback = ["lavalink_py.audio.pipeline"]

    def warm(self) -> None:
        """Import `warm_on_first_playback` on the io pool now (once): the first playback does it anyway; a node
        with players to restore calls it at start, so the imports overlap the rest of start-up."""
        for module in self.warm_on_first_playback:
            self.io_pool.submit(importlib.import_module, module)
        self.warm_on_first_playback = []

    def create_playback(self, listener: PlaybackListener | None = None) -> Playback:
        self.warm()
        playback = Playback(
            self.settings,
            self.cpu_pool,
            self.io_pool,
            listener,
            loss=PlayerLoss(self.loss),
            dial=self.overload.dial,
            shares=self.shares,
        )
        self.clock.add(playback)
        self.playbacks.add(playback)
        self.overload.wake()
        return playback

    def remove_playback(self, playback: Playback) -> None:
        playback.stop()
        self.clock.discard(playback)
        self.playbacks.discard(playback)

    def start(self) -> None:
        """Start the real-time clock and the overload monitor (needs a running loop)."""
        self.clock.start()
        self.overload.start()
        self.gc_watch.install()

    async def close(self) -> None:
        await self.clock.stop()
        await self.overload.stop()
        self.gc_watch.uninstall()
        for playback in list(self.playbacks):
            self.remove_playback(playback)  # queues each stream's close on the io pool
        self.cpu_pool.shutdown(wait=False, cancel_futures=True)
        # Not cancelled: the queued closes release containers and sockets; a read stalled in FFmpeg ends at
        # its read timeout (media_open.read_timeout_s) without blocking the loop.
        self.io_pool.shutdown(wait=False)

    async def pump(self, ticks: int) -> None:
        """Drive the clock without real time (tests): before each tick, wait for each playback's next frame."""
        for _ in range(ticks):
            for player in list(self.playbacks):
                await player.wait_frame()
            self.clock.tick()
