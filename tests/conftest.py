from __future__ import annotations

from collections.abc import AsyncIterator, Generator

import aiohttp
import pytest
from hypothesis import HealthCheck, settings

from tests.node import NodeFactory, RunningNode, running_nodes

# Hypothesis times each example (200 ms deadline) and its data generation (the too_slow health check): on a busy
# machine either fails a correct test. Examples are bounded by max_examples; wall time is not what they test.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Tests log lone surrogates on purpose (a track title a source mangled); pytest-xdist ships each report's
    # captured sections to the controller as UTF-8 and crashes the worker on one, so they travel escaped.
    report = yield
    report.sections = [(name, text.encode("utf-8", "backslashreplace").decode("utf-8"))
                       for name, text in report.sections]
    return report


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
