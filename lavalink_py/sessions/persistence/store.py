"""The SQLite file that keeps resumable sessions. Blocking: called only from the persistence thread.

A file this node cannot read as its own (not SQLite, another application's, a newer schema) is never misread and
never stops the node: it is moved aside (`<path>.unreadable-<ms>`), one warning says why, and the node starts empty.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lavalink_py.sessions.persistence.kept import KeptPlayer, KeptSession, KeptVoice

log = logging.getLogger(__name__)

# "LLPY": marks the file as ours, so another application's SQLite file is recognised and set aside.
APPLICATION_ID = 0x4C4C5059
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    client_name TEXT,
    timeout_s INTEGER NOT NULL,
    detached_at_ms INTEGER NOT NULL,
    queued TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS players (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    guild_id INTEGER NOT NULL,
    track TEXT,
    user_data TEXT NOT NULL,
    plugin_info TEXT NOT NULL,
    position_ms INTEGER NOT NULL,
    taken_at_ms INTEGER NOT NULL,
    paused INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    filters TEXT NOT NULL,
    end_time_ms INTEGER,
    voice TEXT,
    PRIMARY KEY (session_id, guild_id)
);
"""


class StoreUnreadable(Exception):
    """The file is not a store this node can read; `cause` is corrupted, foreign or future_schema."""

    def __init__(self, cause: str, detail: str) -> None:
        super().__init__(detail)
        self.cause = cause


@dataclass(frozen=True, slots=True)
class Loaded:
    sessions: list[KeptSession]
    set_aside: str | None = None  # the cause, when the file was moved aside


class SessionStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    # -- reading, once at start ---------------------------------------------------------------------------------

    def load(self) -> Loaded:
        if not self.path.exists():
            return Loaded([])
        try:
            return Loaded(self._read())
        except StoreUnreadable as unreadable:
            self._set_aside(unreadable.cause, str(unreadable))
            return Loaded([], unreadable.cause)
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as error:
            self._set_aside("corrupted", f"{type(error).__name__}: {error}")
            return Loaded([], "corrupted")

    def _read(self) -> list[KeptSession]:
        db = sqlite3.connect(self.path)
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise StoreUnreadable("foreign", f"application_id {app_id:#x} is not lavalink_py's")
            if version > SCHEMA_VERSION:
                raise StoreUnreadable("future_schema", f"schema {version} is newer than this node's {SCHEMA_VERSION}")
            if version < SCHEMA_VERSION:
                # No older schema was ever released; one would be migrated here.
                raise StoreUnreadable("old_schema", f"schema {version} has no migration to {SCHEMA_VERSION}")
            players: dict[str, list[KeptPlayer]] = {}
            for row in db.execute("SELECT * FROM players ORDER BY session_id, guild_id"):
                players.setdefault(row[0], []).append(_player(row))
            return [
                KeptSession(sid, uid, name, timeout, detached, tuple(json.loads(queued)), tuple(players.get(sid, ())))
                for sid, uid, name, timeout, detached, queued in db.execute("SELECT * FROM sessions ORDER BY id")
            ]
        finally:
            db.close()

    def _set_aside(self, cause: str, detail: str) -> None:
        target = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time() * 1000)}")
        try:
            os.replace(self.path, target)
            where = f"moved to {target}"
        except OSError as error:
            where = f"could not be moved aside ({error}); it will be overwritten"
        log.warning(
            "persistence: %s is not a session store this node can read (%s: %s); %s; starting with no kept sessions",
            self.path,
            cause,
            detail,
            where,
        )

    # -- writing, at each checkpoint ----------------------------------------------------------------------------

    def write(self, sessions: list[KeptSession]) -> bool:
        """Replace what is kept with `sessions`, in one transaction. False when there was nothing to do (no file
        and nothing to keep: a node whose clients never enable resuming leaves no file behind)."""
        if self._db is None:
            if not sessions and not self.path.exists():
                return False
            self._db = self._open()
        db = self._db
        try:
            with db:
                db.execute("DELETE FROM players")
                db.execute("DELETE FROM sessions")
                db.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?)", [_session_row(s) for s in sessions])
                db.executemany(
                    "INSERT INTO players VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [_player_row(s.id, p) for s in sessions for p in s.players],
                )
        except sqlite3.Error:
            self.close()  # a fresh connection next time (the disk may have room again, the file may be back)
            raise
        return True

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            # WAL: a process killed mid-write leaves the last committed checkpoint intact; NORMAL sync is durable
            # against a process crash (only a power loss may cost the latest commit).
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            db.executescript(_SCHEMA)
            db.isolation_level = "DEFERRED"  # back to implicit transactions, so `with db:` commits
        except sqlite3.Error:
            db.close()
            raise
        return db

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


def _session_row(s: KeptSession) -> tuple[Any, ...]:
    return (s.id, s.user_id, s.client_name, s.timeout_s, s.detached_at_ms, json.dumps(list(s.queued)))


def _player_row(session_id: str, p: KeptPlayer) -> tuple[Any, ...]:
    v = p.voice
    voice = None if v is None else json.dumps([v.token, v.endpoint, v.session_id, v.channel_id])
    return (
        session_id,
        p.guild_id,
        p.encoded_track,
        json.dumps(p.user_data),
        json.dumps(p.plugin_info),
        p.position_ms,
        p.taken_at_ms,
        int(p.paused),
        p.volume,
        json.dumps(p.filters),
        p.end_time_ms,
        voice,
    )


def _player(row: tuple[Any, ...]) -> KeptPlayer:
    _, guild, track, user_data, plugin_info, position, taken, paused, volume, filters, end_time, voice = row
    kept_voice = None if voice is None else KeptVoice(*json.loads(voice))
    return KeptPlayer(
        int(guild),
        track,
        json.loads(user_data),
        json.loads(plugin_info),
        int(position),
        int(taken),
        bool(paused),
        int(volume),
        json.loads(filters),
        None if end_time is None else int(end_time),
        kept_voice,
    )
