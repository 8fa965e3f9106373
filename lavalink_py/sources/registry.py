"""The source managers of a node, in the order they are asked (Lavalink's order: first non-None result wins).

A manager may claim search prefixes (`ytsearch:`): an identifier with one goes to that manager alone, so two
sources cannot both answer it. Catch-all managers (plain HTTP claims any URL) are asked after all the others.

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
from lavalink_py.sources.routing.outbound import Outbound

log = logging.getLogger(__name__)

LOOKUP_FAULT = "Something went wrong when looking up the track"


class UnknownSourceError(LookupError):
    """No registered manager makes tracks of this sourceName (Lavalink cannot decode or play such a track)."""


class SourceRegistry:
    def __init__(self, managers: Sequence[SourceManager] = (), *, outbound: Outbound | None = None) -> None:
        self.outbound = outbound or Outbound()  # the route planner, for the media of sources that do not bind
        self._managers: list[SourceManager] = []
        self._catch_all: list[SourceManager] = []
        self._prefixes: dict[str, SourceManager] = {}
        for manager in managers:
            self.register(manager)

    def register(
        self, manager: SourceManager, *, search_prefixes: Sequence[str] = (), catch_all: bool = False
    ) -> None:
        """Add a manager after the existing ones of its kind. Source names and search prefixes are unique."""
        if self.manager(manager.name) is not None:
            raise ValueError(f"a source manager named {manager.name!r} is already registered")
        for prefix in search_prefixes:
            owner = self._prefixes.get(prefix)
            if owner is not None:
                raise ValueError(f"search prefix {prefix!r} is already claimed by source {owner.name!r}")
        self._prefixes.update(dict.fromkeys(search_prefixes, manager))
        (self._catch_all if catch_all else self._managers).append(manager)

    @property
    def _ordered(self) -> list[SourceManager]:
        return self._managers + self._catch_all

    def search_prefixes(self) -> dict[str, str]:
        """Each claimed search prefix and the source that answers it."""
        return {prefix: manager.name for prefix, manager in self._prefixes.items()}

    def manager(self, source_name: str) -> SourceManager | None:
        for manager in self._ordered:
            if manager.name == source_name:
                return manager
        return None

    def names(self) -> list[str]:
        """What /v4/info lists as `sourceManagers`: every manager but one that says `listed = False` (it loads
        nothing of its own, e.g. a service registered only for its lyrics)."""
        return [manager.name for manager in self._ordered if getattr(manager, "listed", True)]

    def managers(self) -> list[SourceManager]:
        return list(self._ordered)

    def _candidates(self, identifier: str) -> list[SourceManager]:
        for prefix, manager in self._prefixes.items():
            if identifier.startswith(prefix):
                return [manager]
        return self._ordered

    async def load(self, identifier: str) -> LoadResult:
        for manager in self._candidates(identifier):
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
        # A source that does not bind its media to the route planner's address (a plugin's) is bound here.
        return await self.outbound.route_if_unrouted(await manager.open_stream(info))

    async def close(self) -> None:
        """Release what the managers hold open (HTTP sessions)."""
        for manager in self._ordered:
            close = getattr(manager, "close", None)
            if close is not None:
                await close()
