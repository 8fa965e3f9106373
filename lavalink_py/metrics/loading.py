"""Custom collectors: built from a class or factory, found by dotted class path (metrics.custom) or, by the plugin
loader (plugins/collectors.py), in the `lavalink_py.collectors` entry point group.

Each target is a class or factory called with no arguments that returns a prometheus-client collector (an
object with `collect()`, ideally `describe()`). Custom collectors run through the refresher (off the event
loop), since we cannot know whether their collect() blocks.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from lavalink_py.metrics.collectors.base import SnapshotCollector

log = logging.getLogger(__name__)


class CollectorLoadError(Exception):
    """A configured custom collector could not be imported or built."""


@dataclass(frozen=True, slots=True)
class LoadedCollector:
    name: str
    collector: Collector


def build_collector(name: str, factory: object, origin: str) -> LoadedCollector:
    if not callable(factory):
        raise CollectorLoadError(f"{origin}: {factory!r} is not a class or factory")
    try:
        instance = factory()
    except Exception as exc:
        raise CollectorLoadError(f"{origin}: building the collector failed: {exc}") from exc
    if not callable(getattr(instance, "collect", None)):
        raise CollectorLoadError(f"{origin}: {type(instance).__name__} has no collect() method")
    own_name = getattr(instance, "name", None)
    return LoadedCollector(own_name if isinstance(own_name, str) and own_name else name, instance)


def load_dotted(path: str) -> LoadedCollector:
    """Load "pkg.module:Class" or "pkg.module.Class"."""
    origin = f"metrics.custom: {path}"
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise CollectorLoadError(f"{origin}: expected 'package.module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CollectorLoadError(f"{origin}: cannot import {module_name}: {exc}") from exc
    factory = module
    for part in attr.split("."):
        if not hasattr(factory, part):
            raise CollectorLoadError(f"{origin}: {module_name} has no attribute {attr}")
        factory = getattr(factory, part)
    return build_collector(attr.rsplit(".", 1)[-1].lower(), factory, origin)


class OffloadedCollector(SnapshotCollector[list[Metric]]):
    """Runs a foreign collector's collect() in the refresher's thread and serves the cached families."""

    def __init__(self, name: str, inner: Collector) -> None:
        super().__init__()
        self.name = name  # type: ignore[misc]  # per-instance name for a generic wrapper
        self.inner = inner

    def take_snapshot(self) -> list[Metric]:
        return list(self.inner.collect())

    def families(self, snapshot: list[Metric] | None) -> Iterable[Metric]:
        if snapshot is not None:
            return snapshot
        describe = getattr(self.inner, "describe", None)
        return list(describe()) if callable(describe) else []
