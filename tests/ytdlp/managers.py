"""Building the managers the way the application does, around a given extraction seam."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Executor

from lavalink_py.protocol.load_result import LoadResult
from lavalink_py.sources.base import SourceManager
from lavalink_py.sources.ytdlp import Extract, YtdlpSourceManager, build_ytdlp_managers
from lavalink_py.sources.ytdlp.manager import Clock


def build(
    executor: Executor, extract: Extract, clock: Clock, base_urls: Mapping[str, str] | None = None, **switches: bool
) -> dict[str, SourceManager]:
    managers = build_ytdlp_managers(executor=executor, extract=extract, clock=clock, base_urls=base_urls,
                                    timeout_s=20.0, socket_timeout_s=5.0, outbound=None, **switches)
    return {manager.name: manager for manager in managers}


def ytdlp_manager(managers: Mapping[str, SourceManager], name: str) -> YtdlpSourceManager:
    manager = managers[name]
    assert isinstance(manager, YtdlpSourceManager)
    return manager


async def load(managers: Mapping[str, SourceManager], identifier: str) -> tuple[str, LoadResult] | None:
    """Lavalink's routing: managers in registration order, the first that claims the identifier answers."""
    for manager in managers.values():
        result = await manager.load_item(identifier)
        if result is not None:
            return manager.name, result
    return None
