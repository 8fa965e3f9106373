"""Command line: `lavalink-py [--config application.yml]`. Exit code 2 means the configuration was refused."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path

from lavalink_py import LAVALINK_API_VERSION, __version__
from lavalink_py.allocator import tune_malloc
from lavalink_py.code_cache import DataclassCodeCache

log = logging.getLogger("lavalink_py")


def main(argv: list[str] | None = None) -> int:
    # Start-up makes hundreds of thousands of objects (modules, classes, functions) that live as long as the
    # process and frees almost none: the collector's passes over them then are pure cost (~10 % of start-up).
    # `app.serve` turns it back on once the node listens, after freezing what start-up made (issue 11).
    gc.disable()
    # The methods @dataclass writes, compiled at an earlier start and read back (~50 ms of start-up, issue 11).
    code_cache = DataclassCodeCache()
    code_cache.install()
    from lavalink_py.config import ConfigError, configure_logging, load_settings

    parser = argparse.ArgumentParser(prog="lavalink-py", description="A Lavalink v4-compatible audio node")
    parser.add_argument("--config", default="application.yml", type=Path, help="path to application.yml")
    parser.add_argument(
        "--drain-seconds",
        default=2.0,
        type=float,
        help="on SIGTERM, how long /v4/ready reports not ready before the node stops accepting",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"lavalink-py {__version__} (Lavalink API {LAVALINK_API_VERSION})",
    )
    args = parser.parse_args(argv)
    tune_malloc(os.environ)  # before the node allocates or starts a thread: what the churn frees must be reused
    try:
        loaded = load_settings(args.config, os.environ)
        # Opening the log file is the last check of the configuration: a path that cannot be written is refused
        # like any bad value (exit 2, the key named), not a traceback.
        configure_logging(loaded.settings.logging)
    except ConfigError as exc:
        print(f"lavalink-py: configuration refused: {exc}", file=sys.stderr)
        return 2
    for warning in loaded.warnings:
        log.warning("%s", warning)
    from lavalink_py.app import run
    from lavalink_py.plugins import PluginLoadError

    try:
        return run(loaded.settings, drain_s=args.drain_seconds, on_listening=code_cache.close)
    except PluginLoadError as exc:
        log.error("start-up stopped: %s", exc)
        print(f"lavalink-py: {exc}", file=sys.stderr)
        return 2
