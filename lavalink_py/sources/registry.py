"""The source managers of a node, in the order they are asked (Lavalink's order: first non-None result wins).

`load` never raises for a manager's failure: a `FriendlyError` becomes its LoadFailed, anything else becomes
lavaplayer's "Something went wrong when looking up the track" with severity fault, logged with its traceback.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, NoMatches
from lavalink_py.protocol.track import TrackInfo
from lavalink_py.sources.base import SourceManager, StreamSpec

log = logging.getLogger(__name__)

LOOKUP_FAULT = "Something went wrong when looking up the track"


class UnknownSourceError(LookupError):
    """No registered manager makes tracks of this sourceName (Lavalink cannot decode or play such a track)."""


class SourceRegistry:
    def __init__(self, managers: Sequence[SourceManager] = ()) -> None:
        self._managers: list[SourceManager] = []
        for manager in managers:
            self.register(manager)

    def register(self, manager: SourceManager) -> None:
        """Add a manager after the existing ones (plugins). Source names are unique."""
        if self.manager(manager.name) is not None:
            raise ValueError(f"a source manager named {manager.name!r} is already registered")
        self._managers.append(manager)

    def manager(self, source_name: str) -> SourceManager | None:
        for manager in self._managers:
            if manager.name == source_name:
                return manager
        return None

    def names(self) -> list[str]:
        return [manager.name for manager in self._managers]

    async def load(self, identifier: str) -> LoadResult:
        for manager in self._managers:
            try:
                result = await manager.load_item(identifier)
            except FriendlyError as error:
                log.warning("Loading %r with source %s failed: %s", identifier, manager.name, error.message)
                return LoadFailed(error)
            except Exception as exc:
                log.exception("Source %s raised while loading %r", manager.name, identifier)
                return LoadFailed(
                    FriendlyError(
                        LOOKUP_FAULT,
                        "fault",
                        cause=f"{type(exc).__name__}: {exc}",
                        cause_stack_trace="".join(traceback.format_exception(exc)),
                    )
                )
            if result is not None:
                return result
        return NoMatches()

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        """Where to read a track's media, asked of the manager that made it."""
        manager = self.manager(info.source_name)
        if manager is None:
            raise UnknownSourceError(f"no source manager named {info.source_name!r}")
        return await manager.open_stream(info)

    async def close(self) -> None:
        """Release what the managers hold open (HTTP sessions)."""
        for manager in self._managers:
            close = getattr(manager, "close", None)
            if close is not None:
                await close()
