from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from lavalink_py.sources.http import HttpSourceManager
from lavalink_py.sources.local import LocalSourceManager
from lavalink_py.sources.registry import SourceRegistry

from tests.node import NodeFactory, RunningNode, running_nodes


def default_loader() -> SourceRegistry:
    return SourceRegistry([HttpSourceManager(), LocalSourceManager()])


@pytest.fixture
async def make_node() -> AsyncIterator[NodeFactory]:
    async with running_nodes(default_loader) as factory:
        yield factory


@pytest.fixture
async def node(make_node: NodeFactory) -> RunningNode:
    return await make_node()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
