from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.fuzz.harness import FuzzNode

# Bounded by example counts, never by time: a busy machine makes the suite slower, not red.
settings.register_profile(
    "fuzz",
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzNode]:
    node = FuzzNode(Path(tmp_path_factory.mktemp("fuzz-media")))
    node.start()
    yield node
    node.stop()
