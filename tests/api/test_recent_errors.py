"""The status page's recent errors: the last warnings and errors of the node's loggers, newest first, bounded."""

from __future__ import annotations

import logging

from lavalink_py.api.recent_errors import KEPT, RecentErrors
from lavalink_py.config import log_context


def test_keeps_the_newest_warnings_with_their_guild_and_session() -> None:
    errors = RecentErrors()
    logger = logging.getLogger("lavalink_py.tests.recent")
    logger.addHandler(errors)
    try:
        logger.info("not kept")
        with log_context(guild_id=7, session_id="abc"):
            logger.warning("track stuck: %d ms", 10000)
        for n in range(KEPT + 5):
            logger.error("error %d", n)
    finally:
        logger.removeHandler(errors)
    kept = errors.snapshot()
    assert len(kept) == KEPT
    assert kept[0]["message"] == f"error {KEPT + 4}"
    assert all(e["message"] != "not kept" for e in kept)
    errors_only = RecentErrors()
    logger.addHandler(errors_only)
    try:
        with log_context(guild_id=7, session_id="abc"):
            logger.warning("track stuck")
    finally:
        logger.removeHandler(errors_only)
    [stuck] = errors_only.snapshot()
    assert (stuck["level"], stuck["guild_id"], stuck["session_id"]) == ("WARNING", "7", "abc")
