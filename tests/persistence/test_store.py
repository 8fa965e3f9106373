"""The session store on a real SQLite file: what is written is read back; a file it cannot read (corrupted,
another application's, a newer schema) is moved aside with one warning and the node starts empty; a path it
cannot write is reported once and counted, and the node goes on."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from lavalink_py.sessions.persistence.checkpointer import Checkpointer
from lavalink_py.sessions.persistence.kept import KeptPlayer, KeptSession, KeptVoice
from lavalink_py.sessions.persistence.store import APPLICATION_ID, SCHEMA_VERSION, SessionStore

PLAYER = KeptPlayer(
    guild_id=111,
    encoded_track="QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA==",
    user_data={"requester": "ü", "n": [1, 2]},
    plugin_info={},
    position_ms=12_345,
    taken_at_ms=1_700_000_000_000,
    paused=True,
    volume=80,
    filters={"volume": 0.5, "timescale": {"speed": 1.1}},
    end_time_ms=90_000,
    voice=KeptVoice("tok", "voice.example:443", "vsid", "222"),
)
SESSION = KeptSession(
    "abcdefghijklmnop", 170939974227591168, "tests/1.0", 60, 1_700_000_000_000, ('{"op":"event"}',), (PLAYER,)
)


def test_what_is_written_is_read_back(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "kept.sqlite3")
    assert store.write([SESSION, KeptSession("s2", 1, None, 5, 10)])
    store.close()
    loaded = SessionStore(tmp_path / "kept.sqlite3").load()
    assert loaded.set_aside is None
    assert loaded.sessions == [SESSION, KeptSession("s2", 1, None, 5, 10)]


def test_no_file_and_nothing_to_keep_leaves_no_file(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "kept.sqlite3")
    assert store.load().sessions == []
    assert store.write([]) is False
    assert not (tmp_path / "kept.sqlite3").exists()


def test_a_later_checkpoint_replaces_the_earlier(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "kept.sqlite3")
    store.write([SESSION])
    store.write([])
    store.close()
    assert SessionStore(tmp_path / "kept.sqlite3").load().sessions == []


def _foreign(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE notes (body TEXT)")
    db.commit()
    db.close()


def _future(path: Path) -> None:
    store = SessionStore(path)
    store.write([SESSION])
    store.close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.commit()
    db.close()


def _torn(path: Path) -> None:
    store = SessionStore(path)
    store.write([SESSION])
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE players")
    db.commit()
    db.close()


@pytest.mark.parametrize(
    ("make", "cause"),
    [
        (lambda p: p.write_bytes(b"\x00garbage, not SQLite\xff" * 100), "corrupted"),
        (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000), "corrupted"),
        (_foreign, "foreign"),
        (_future, "future_schema"),
        (_torn, "corrupted"),
    ],
)
def test_an_unreadable_file_is_moved_aside_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, make: object, cause: str
) -> None:
    path = tmp_path / "kept.sqlite3"
    make(path)  # type: ignore[operator]
    before = path.read_bytes()
    with caplog.at_level(logging.WARNING, "lavalink_py.sessions.persistence"):
        loaded = SessionStore(path).load()
    assert (loaded.sessions, loaded.set_aside) == ([], cause)
    assert not path.exists()
    aside = list(tmp_path.glob("kept.sqlite3.unreadable-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == before  # kept for a post-mortem, never misread
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert cause in warnings[0].getMessage() and "starting with no kept sessions" in warnings[0].getMessage()
    # The node then writes a fresh store in its place.
    store = SessionStore(path)
    store.write([SESSION])
    store.close()
    assert SessionStore(path).load().sessions == [SESSION]


def test_the_file_says_whose_it_is(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "kept.sqlite3")
    store.write([SESSION])
    store.close()
    db = sqlite3.connect(tmp_path / "kept.sqlite3")
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_an_unwritable_path_fails_the_write_not_the_node(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    store = SessionStore(blocker / "kept.sqlite3")
    assert store.load().sessions == []
    with pytest.raises(sqlite3.Error):
        store.write([SESSION])
    blocker.unlink()
    blocker.mkdir()
    assert store.write([SESSION])  # the next checkpoint succeeds once the path can be written
    store.close()


def test_a_full_disk_fails_the_write_and_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "kept.sqlite3"
    store = SessionStore(path)
    store.write([SESSION])
    assert store._db is not None
    # SQLite's own size cap stands in for a full disk: the write fails with SQLITE_FULL, as on a full tmpfs.
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")
    big = KeptSession("big", 1, None, 60, 0, tuple("x" * 4096 for _ in range(64)))
    with pytest.raises(sqlite3.Error, match="full"):
        store.write([SESSION, big])
    store.close()
    assert SessionStore(path).load().sessions == [SESSION]


async def test_checkpoint_write_failures_are_logged_once_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Sessions:
        def sessions(self) -> list[object]:
            return []

    class Failing(SessionStore):
        def write(self, sessions: list[KeptSession]) -> bool:
            raise sqlite3.OperationalError("unable to open database file")

    seen: list[tuple[float, int, bool]] = []
    checkpointer = Checkpointer(Failing(tmp_path / "x"), Sessions(), lambda *a: seen.append(a))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, "lavalink_py.sessions.persistence"):
        for _ in range(3):
            checkpointer.tick()
            await asyncio.sleep(0.05)
            async with asyncio.timeout(10):
                while len(seen) < _ + 1:
                    await asyncio.sleep(0.01)
        await checkpointer.final()
    assert [ok for *_, ok in seen] == [False] * 4
    assert sum("cannot write" in r.getMessage() for r in caplog.records) == 1
