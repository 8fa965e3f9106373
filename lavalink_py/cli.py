"""Command line: `lavalink-py [--config application.yml]`. Exit code 2 means the configuration was refused."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lavalink-py", description="A Lavalink v4-compatible audio node")
    parser.add_argument("--config", default="application.yml", help="path to application.yml")
    parser.parse_args(argv)
    from lavalink_py.app import run

    return run()
