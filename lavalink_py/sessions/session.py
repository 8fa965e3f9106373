"""A client's session: its id, its players, and where its messages go.

A session is bound to one client WebSocket at a time. When the socket drops:
- not resumable: the session shuts down at once (players destroyed);
- resumable: the session is paused for `timeout_s`; events and stats are queued in order (playerUpdates are
  dropped, as Lavalink does), REST calls no longer find it, and a reconnect with `Session-Id` resumes it:
  `ready` (resumed), the queue replayed, then one playerUpdate per player.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from lavalink_py.config import log_context
from lavalink_py.player.player import Player
from lavalink_py.player.services import PlayerServices
from lavalink_py.protocol import json_text

log = logging.getLogger(__name__)

Transport = Callable[[bytes], None]
"""Sends one text message on the client's WebSocket without blocking."""

MessageObserver = Callable[[dict[str, Any]], None]
"""Sees every message a session emits (the metrics count events with it)."""

SessionEnded = Callable[["Session"], None]
"""Told when a session shuts down for good (the metrics time sessions with it)."""


class Session:
    # Slots: a node holds one per client for as long as it is connected (issue 11: 1,000 idle sessions, each to cost
    # no more than NodeLink's ~16 KiB); no per-instance dict.
    __slots__ = (
        "_observer",
        "_on_end",
        "_queue",
        "_services",
        "_transport",
        "client_name",
        "detached_at_ms",
        "id",
        "opened_at_s",
        "players",
        "resuming",
        "shut_down",
        "timeout_s",
        "user_id",
    )

    def __init__(
        self,
        session_id: str,
        user_id: int,
        client_name: str | None,
        services: PlayerServices,
        *,
        observer: MessageObserver | None = None,
        on_end: SessionEnded | None = None,
    ) -> None:
        self.id = session_id
        self.opened_at_s = time.monotonic()
        self._on_end = on_end
        self._services = services
        self._observer = observer
        self.user_id = user_id
        self.client_name = client_name
        self.resuming = False
        self.timeout_s = 60
        self.players: dict[int, Player] = {}
        self._transport: Transport | None = None
        self._queue: list[bytes] = []
        # Wall-clock ms when the socket went away (None while bound): a restarted node counts the resume timeout
        # from here.
        self.detached_at_ms: int | None = None
        self.shut_down = False

    @property
    def paused(self) -> bool:
        return self._transport is None

    def attach(self, transport: Transport) -> list[bytes]:
        """Bind to a socket; returns the messages queued while paused, to be sent after `ready`."""
        self._transport = transport
        self.detached_at_ms = None
        queued, self._queue = self._queue, []
        return queued

    def is_bound_to(self, transport: Transport) -> bool:
        # Equality, not identity: a socket's transport is its outbox's bound `put`, made anew at each access.
        return self._transport is not None and self._transport == transport

    def detach(self) -> None:
        self._transport = None
        self.detached_at_ms = int(time.time() * 1000)

    @property
    def queued(self) -> list[bytes]:
        """The messages waiting for a resume (a copy: persistence keeps them)."""
        return list(self._queue)

    def restore_queue(self, messages: list[bytes], detached_at_ms: int) -> None:
        """A session kept across a restart of the node starts paused, with what it had queued."""
        self._transport = None
        self.detached_at_ms = detached_at_ms
        self._queue = list(messages)

    def send(self, message: dict[str, Any]) -> None:
        self.send_serialized(message, json_text.dumps(message))

    def send_serialized(self, message: dict[str, Any], payload: bytes) -> None:
        """`send` of a message already serialized: the `stats` round serializes one message for every session
        that gets the same."""
        if self._observer is not None:
            # Observers (metrics, traces, error reports) see which session a message is for.
            with log_context(session_id=self.id):
                self._observer(message)
        if self._transport is not None:
            self._transport(payload)
        elif message.get("op") != "playerUpdate" and not self.shut_down:
            # Paused: queued for the resume; playerUpdates are dropped, as Lavalink does.
            self._queue.append(payload)

    @property
    def services(self) -> PlayerServices:
        """What this session's players are made with (the audio engine and its filter registry among them)."""
        return self._services

    def player(self, guild_id: int) -> Player | None:
        return self.players.get(guild_id)

    def get_or_create_player(self, guild_id: int) -> Player:
        player = self.players.get(guild_id)
        if player is None:
            player = Player(guild_id, self.user_id, self.send, self._services, session_id=self.id)
            self.players[guild_id] = player
            log.info("player created", extra={"guild_id": guild_id, "session_id": self.id, "track": None})
        return player

    def destroy_player(self, guild_id: int) -> None:
        player = self.players.pop(guild_id, None)
        if player is not None:
            track = None if player.track is None else player.track.info.title
            player.destroy()
            log.info("player destroyed", extra={"guild_id": guild_id, "session_id": self.id, "track": track})

    def shutdown(self) -> None:
        if self.shut_down:
            return
        for guild_id in list(self.players):
            self.destroy_player(guild_id)
        self.shut_down = True
        self._queue.clear()
        if self._on_end is not None:
            self._on_end(self)
        log.info("session shut down", extra={"session_id": self.id})
