from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import HealthCheck, settings

from tests.node import NodeFactory, RunningNode, running_nodes

# Hypothesis times each example (200 ms deadline) and its data generation (the too_slow health check): on a busy
# machine either fails a correct test. Examples are bounded by max_examples; wall time is not what they test.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


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
