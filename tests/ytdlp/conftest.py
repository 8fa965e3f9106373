from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.ytdlp.recorded import RecordedExtract


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ytdlp-test")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def recorded() -> RecordedExtract:
    return RecordedExtract()


class FakeClock:
    """Unix time the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
