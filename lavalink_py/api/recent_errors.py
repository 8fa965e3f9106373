"""The node's most recent warnings and errors, kept in memory for the status page (`/status`)."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from lavalink_py.config.logs import current_log_context

KEPT = 50


@dataclass(frozen=True, slots=True)
class LoggedError:
    time_ms: int
    level: str
    logger: str
    message: str
    guild_id: str | None
    session_id: str | None


class RecentErrors(logging.Handler):
    """A handler on the `lavalink_py` logger that keeps the last `KEPT` records at WARNING and above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self._records: deque[LoggedError] = deque(maxlen=KEPT)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            context = current_log_context()
            guild = getattr(record, "guild_id", None) or context.get("guild_id")
            session = getattr(record, "session_id", None) or context.get("session_id")
            self._records.append(
                LoggedError(
                    int(record.created * 1000),
                    record.levelname,
                    record.name,
                    record.getMessage(),
                    None if guild is None else str(guild),
                    None if session is None else str(session),
                )
            )
        except Exception:  # a broken record must not break the line's other handlers
            self.handleError(record)

    def snapshot(self) -> list[dict[str, Any]]:
        return [asdict(error) for error in reversed(self._records)]
