"""Installs the test plugin packages (tests/plugins/packages/*) the way an operator would, offline: pip builds each
from its pyproject into a target folder, entry-point metadata included; that folder then goes on sys.path or
PYTHONPATH."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PACKAGES = Path(__file__).resolve().parent / "packages"


def pip_install(package: str, target: Path, build_root: Path) -> None:
    # Built from a copy, so setuptools' build/ and *.egg-info never land in the source tree.
    source = build_root / package
    shutil.copytree(PACKAGES / package, source)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
         "--no-index", "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
