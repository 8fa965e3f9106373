"""What a player needs from the node without knowing the node: audio, streams, voice and background tasks."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from lavalink_py.audio import AudioEngine
from lavalink_py.audio.clock import FrameClock
from lavalink_py.protocol.player_update import VoiceState
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import StreamSpec
from lavalink_py.voice.events import VoiceEventCallback
from lavalink_py.voice.outbox import PacketOutbox

if TYPE_CHECKING:
    from lavalink_py.voice.workers import SlotStats

log = logging.getLogger(__name__)


class VoiceLink(Protocol):
    """A guild's voice connection as the player uses it."""

    @property
    def connected(self) -> bool: ...

    @property
    def ping_ms(self) -> int: ...

    @property
    def ready_to_send(self) -> bool: ...

    @property
    def frames_not_sent(self) -> int: ...

    def start(self) -> None: ...

    async def close(self) -> None: ...

    def send_frame(self, frame: bytes) -> None: ...

    def stop_speaking(self) -> None: ...


class VoiceSink:
    """The audio engine's frame sink over a voice connection: end of speech is Discord's silence + Speaking 0."""

    __slots__ = ("_link", "send_frame", "send_silence")

    def __init__(self, link: VoiceLink) -> None:
        # Bound methods looked up once: the frame clock calls send_frame for every player every 20 ms.
        self._link = link
        self.send_frame = link.send_frame
        self.send_silence = link.stop_speaking

    @property
    def ready(self) -> bool:
        return self._link.ready_to_send


VoiceFactory = Callable[[int, int, VoiceState, VoiceEventCallback], VoiceLink]
"""(guild id, bot user id, voice state, event callback) -> a voice connection, not yet started."""

StreamOpener = Callable[[TrackInfo], Awaitable[StreamSpec]]
"""Where to read a track's media now; raises FriendlyError when it cannot be had."""


class DiscordVoice:
    """The node's VoiceFactory: real Discord voice connections, all sharing one TLS context.

    A context of its own per connection would load the system's CA store each time: ~0.8 MiB and milliseconds
    of CPU per voice connection, for a player that joins and leaves every few seconds. The context is made at the
    first connection (not at import), so it reads SSL_CERT_FILE as the process has it then.
    Given the frame clock, the connections build each packet when handed its frame and the clock sends them all
    at the start of its next tick (voice/outbox.py): the send times of a tick's players no longer spread over
    their build times.
    """

    def __init__(self, clock: FrameClock | None = None) -> None:
        self._ssl: ssl.SSLContext | None = None
        self._outbox: PacketOutbox | None = None
        if clock is not None:
            self._outbox = PacketOutbox()
            clock.add_flush(self._outbox.flush)

    def __call__(self, guild_id: int, user_id: int, voice: VoiceState, on_event: VoiceEventCallback) -> VoiceLink:
        assert voice.channel_id is not None  # the PATCH validation requires it
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        # Imported here: voice's crypto (cryptography, davey) is not needed at start-up; AudioEngine has usually
        # imported it off the loop by now (Node adds it to warm_on_first_playback).
        from lavalink_py.voice.connection import VoiceConnection

        return VoiceConnection(
            guild_id=guild_id,
            user_id=user_id,
            channel_id=int(voice.channel_id),
            session_id=voice.session_id,
            token=voice.token,
            endpoint=voice.endpoint,
            on_event=on_event,
            ssl_context=self._ssl,
            outbox=self._outbox,
        )


class WorkerVoice:
    """A VoiceFactory whose connections live in voice worker processes (`lavalink.server.voiceWorkers` > 0).

    The pool (lavalink_py/voice/workers.py) starts its processes at the first connection; `close` stops them.
    """

    def __init__(self, workers: int) -> None:
        from lavalink_py.voice.workers import VoiceWorkerPool

        self.pool = VoiceWorkerPool(workers)

    def __call__(self, guild_id: int, user_id: int, voice: VoiceState, on_event: VoiceEventCallback) -> VoiceLink:
        assert voice.channel_id is not None  # the PATCH validation requires it
        from lavalink_py.voice.workers import VoiceCredentialsSpec

        spec = VoiceCredentialsSpec(guild_id, user_id, int(voice.channel_id), voice.session_id, voice.token,
                                    voice.endpoint)
        return self.pool.link(spec, on_event)

    async def close(self) -> None:
        await self.pool.close()

    def worker_stats(self) -> list[SlotStats]:
        return self.pool.slot_stats()


class BackgroundTasks:
    """Tasks that outlive the call that started them (opening a stream, closing a voice connection)."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class PlayerServices:
    audio: AudioEngine
    open_stream: StreamOpener
    connect_voice: VoiceFactory
    tasks: BackgroundTasks
