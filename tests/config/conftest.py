from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO_ROOT = Path(__file__).parents[2]
# Loggers the logging tests set levels on; restored afterwards so other tests see the usual set-up.
TOUCHED_LOGGERS = ("lavalink", "lavalink_py", "lavalink_py.player", "aiohttp.access", "other", "noisy")


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "application.yml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in TOUCHED_LOGGERS}
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
