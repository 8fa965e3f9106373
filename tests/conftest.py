from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.node import NodeFactory, RunningNode, running_nodes


@pytest.fixture
async def make_node() -> AsyncIterator[NodeFactory]:
    async with running_nodes() as factory:
        yield factory


@pytest.fixture
async def node(make_node: NodeFactory) -> RunningNode:
    return await make_node()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
