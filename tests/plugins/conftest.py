from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.plugins.install import pip_install


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the installed demo plugin (package + dist-info with its entry point)."""
    target = tmp_path_factory.mktemp("site-demo")
    pip_install("demo", target, tmp_path_factory.mktemp("build-demo"))
    return target


@pytest.fixture(scope="session")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site-broken")
    pip_install("broken", target, tmp_path_factory.mktemp("build-broken"))
    return target


@pytest.fixture
def demo_installed(demo_site: Path) -> Iterator[Path]:
    """The demo plugin importable and its entry point visible in this process, for one test."""
    sys.path.insert(0, str(demo_site))
    try:
        yield demo_site
    finally:
        sys.path.remove(str(demo_site))
        for name in [m for m in sys.modules if m == "lavalink_py_demo" or m.startswith("lavalink_py_demo.")]:
            del sys.modules[name]
