"""All sessions of the node: creation, lookup, resume and the resume timeout."""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import Iterator

from lavalink_py.player.player import Player
from lavalink_py.player.services import PlayerServices
from lavalink_py.sessions.session import MessageObserver, Session, SessionEnded, Transport

log = logging.getLogger(__name__)

_ID_ALPHABET = string.ascii_lowercase + string.digits
SESSION_ID_LENGTH = 16


class SessionManager:
    def __init__(
        self, services: PlayerServices, observer: MessageObserver | None = None, on_end: SessionEnded | None = None
    ) -> None:
        self._services = services
        self._observer = observer
        self._on_end = on_end
        self._live: dict[str, Session] = {}
        self._paused: dict[str, Session] = {}
        self._timeouts: dict[str, asyncio.TimerHandle] = {}

    def get(self, session_id: str) -> Session | None:
        """A session the REST API may use: connected ones only (Lavalink's `sessions` map)."""
        return self._live.get(session_id)

    def can_resume(self, session_id: str | None) -> bool:
        if session_id is None:
            return False
        live = self._live.get(session_id)
        return session_id in self._paused or (live is not None and live.resuming)

    def open(self, user_id: int, client_name: str | None, transport: Transport, resume_id: str | None) -> tuple[
        Session, bool, list[bytes]
    ]:
        """Bind a new socket: resume the paused session `resume_id` if there is one, else start a new session.

        Returns the session, whether it was resumed, and the messages queued while it was paused.
        """
        if resume_id is not None and (session := self._paused.pop(resume_id, None)) is not None:
            self._cancel_timeout(resume_id)
            queued = session.attach(transport)
            self._live[session.id] = session
            log.info("session resumed; replaying %d messages", len(queued), extra={"session_id": session.id})
            return session, True, queued
        if resume_id is not None and (session := self._live.get(resume_id)) is not None and session.resuming:
            # The client lost its socket before the server noticed: the new socket takes the session over, and the
            # old socket's close (whenever it comes) no longer concerns the session.
            session.attach(transport)
            log.info("session resumed on a new socket before the old one closed", extra={"session_id": session.id})
            return session, True, []
        session = Session(
            self._new_id(), user_id, client_name, self._services, observer=self._observer, on_end=self._on_end
        )
        session.attach(transport)
        self._live[session.id] = session
        log.info(
            "session opened by %s (user %s)",
            client_name or "an unnamed client",
            user_id,
            extra={"session_id": session.id, "user_id": user_id},
        )
        return session, False, []

    def closed(self, session: Session, transport: Transport) -> None:
        """The socket `transport` closed: pause its session for a resume, or shut it down."""
        if self._live.get(session.id) is not session or not session.is_bound_to(transport):
            return
        del self._live[session.id]
        session.detach()
        if not session.resuming:
            session.shutdown()
            return
        if (older := self._paused.pop(session.id, None)) is not None:
            self._cancel_timeout(session.id)
            older.shutdown()
        self._paused[session.id] = session
        loop = asyncio.get_running_loop()
        self._timeouts[session.id] = loop.call_later(session.timeout_s, self._expire, session.id)
        log.info("session paused; resumable for %d s", session.timeout_s, extra={"session_id": session.id})

    def new_session(self, session_id: str, user_id: int, client_name: str | None) -> Session:
        """A session object with a chosen id (a kept session being restored); `adopt_paused` registers it."""
        return Session(session_id, user_id, client_name, self._services, observer=self._observer, on_end=self._on_end)

    def adopt_paused(self, session: Session, remaining_s: float) -> None:
        """Register a restored session as paused, resumable for `remaining_s` more seconds."""
        if session.id in self._live or session.id in self._paused:
            raise ValueError(f"session {session.id} exists already")
        self._paused[session.id] = session
        loop = asyncio.get_running_loop()
        self._timeouts[session.id] = loop.call_later(max(0.0, remaining_s), self._expire, session.id)

    def _expire(self, session_id: str) -> None:
        self._timeouts.pop(session_id, None)
        session = self._paused.pop(session_id, None)
        if session is not None:
            log.info("session resume timeout passed", extra={"session_id": session_id})
            session.shutdown()

    def _cancel_timeout(self, session_id: str) -> None:
        handle = self._timeouts.pop(session_id, None)
        if handle is not None:
            handle.cancel()

    def _new_id(self) -> str:
        while True:
            candidate = "".join(secrets.choice(_ID_ALPHABET) for _ in range(SESSION_ID_LENGTH))
            if candidate not in self._live and candidate not in self._paused:
                return candidate

    def sessions(self) -> list[Session]:
        """Every session still alive, connected or paused."""
        return [*self._live.values(), *self._paused.values()]

    def live_sessions(self) -> list[Session]:
        return list(self._live.values())

    def players(self) -> Iterator[Player]:
        for session in self.sessions():
            yield from session.players.values()

    def shutdown(self) -> None:
        for session_id in list(self._timeouts):
            self._cancel_timeout(session_id)
        for session in self.sessions():
            session.shutdown()
        self._live.clear()
        self._paused.clear()
