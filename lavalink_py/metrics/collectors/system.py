"""Host resources through psutil: CPU per core, load averages, memory (cgroup-aware), disks, network.

What is the machine's and not the node's is named `lavalink_host_*`.

psutil reads /proc and calls statvfs, so this is a SnapshotCollector: refreshed in a thread, rendered on scrape.
`cpu_percent(percpu=True)` measures since its previous call, so each value is the average over one
collection interval.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from prometheus_client.metrics_core import Metric

from lavalink_py.metrics.collectors.base import SnapshotCollector, counter, gauge

CGROUP_V2_MAX = Path("/sys/fs/cgroup/memory.max")
CGROUP_V2_CURRENT = Path("/sys/fs/cgroup/memory.current")
CGROUP_V1_LIMIT = Path("/sys/fs/cgroup/memory/memory.limit_in_bytes")
CGROUP_V1_USAGE = Path("/sys/fs/cgroup/memory/memory.usage_in_bytes")
# cgroup v1 reports "no limit" as a huge page-aligned number.
_CGROUP_V1_UNLIMITED = 1 << 60


@dataclass(frozen=True, slots=True)
class DiskUsage:
    used_bytes: int
    total_bytes: int


@dataclass(frozen=True, slots=True)
class NetIo:
    received_bytes: int
    transmitted_bytes: int
    receive_errors: int
    transmit_errors: int


@dataclass(frozen=True, slots=True)
class SystemSnapshot:
    cpu_percent: Sequence[float]
    load_average: tuple[float, float, float]
    memory_total_bytes: int
    memory_available_bytes: int
    # cgroup (container) limit and usage when one is set, else None.
    cgroup_limit_bytes: int | None
    cgroup_usage_bytes: int | None
    disks: Mapping[str, DiskUsage] = field(default_factory=dict)
    network: Mapping[str, NetIo] = field(default_factory=dict)

    @property
    def memory_limit_bytes(self) -> int:
        return self.cgroup_limit_bytes if self.cgroup_limit_bytes is not None else self.memory_total_bytes

    @property
    def memory_percent(self) -> float:
        """How full the memory this node may use is: its container's limit if any, else the host's RAM."""
        if self.cgroup_limit_bytes is not None and self.cgroup_usage_bytes is not None:
            return 100.0 * self.cgroup_usage_bytes / self.cgroup_limit_bytes
        used = self.memory_total_bytes - self.memory_available_bytes
        return 100.0 * used / self.memory_total_bytes if self.memory_total_bytes else 0.0

    def disk_percent(self) -> float:
        """The fullest watched disk, in percent."""
        return max((100.0 * d.used_bytes / d.total_bytes for d in self.disks.values() if d.total_bytes), default=0.0)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def read_cgroup_memory() -> tuple[int | None, int | None]:
    limit = _read_int(CGROUP_V2_MAX)
    if limit is not None:
        return limit, _read_int(CGROUP_V2_CURRENT)
    limit = _read_int(CGROUP_V1_LIMIT)
    if limit is not None and limit < _CGROUP_V1_UNLIMITED:
        return limit, _read_int(CGROUP_V1_USAGE)
    return None, None


class SystemCollector(SnapshotCollector[SystemSnapshot]):
    name = "system"

    def __init__(self, disk_paths: Sequence[str] = (".",)) -> None:
        super().__init__()
        self._disk_paths = tuple(disk_paths)
        psutil.cpu_percent(percpu=True)  # primes the delta; the first call always answers 0.0

    def take_snapshot(self) -> SystemSnapshot:
        memory = psutil.virtual_memory()
        limit, usage = read_cgroup_memory()
        disks = {}
        for path in self._disk_paths:
            usage_info = psutil.disk_usage(path)
            disks[path] = DiskUsage(usage_info.used, usage_info.total)
        network = {
            nic: NetIo(c.bytes_recv, c.bytes_sent, c.errin, c.errout)
            for nic, c in psutil.net_io_counters(pernic=True).items()
        }
        load = os.getloadavg()
        return SystemSnapshot(
            cpu_percent=tuple(psutil.cpu_percent(percpu=True)),
            load_average=(load[0], load[1], load[2]),
            memory_total_bytes=memory.total,
            memory_available_bytes=memory.available,
            cgroup_limit_bytes=limit,
            cgroup_usage_bytes=usage,
            disks=disks,
            network=network,
        )

    def families(self, snapshot: SystemSnapshot | None) -> Iterable[Metric]:
        # The host's figures, named as the host's: neighbours' load shows here, not in the node's own
        # lavalink_cpu_usage_percent (runtime collector).
        cpu = gauge("lavalink_host_cpu_usage_percent", "Host CPU busy percent per core, last interval.", ["core"])
        load = gauge("lavalink_host_load_average", "Host load averages.", ["period"])
        cores = gauge("lavalink_cpu_cores", "Logical CPU cores.")
        memory = gauge("lavalink_host_memory_bytes", "Host memory: total and available.", ["type"])
        limit = gauge("lavalink_memory_limit_bytes", "Memory this node may use: its cgroup limit, else host RAM.")
        disk_used = gauge("lavalink_disk_used_bytes", "Used bytes on the filesystem of a watched path.", ["path"])
        disk_total = gauge("lavalink_disk_total_bytes", "Size of the filesystem of a watched path.", ["path"])
        rx = counter("lavalink_host_network_received_bytes", "Host bytes received per interface.", ["interface"])
        tx = counter("lavalink_host_network_transmitted_bytes", "Host bytes sent per interface.", ["interface"])
        errors = counter(
            "lavalink_host_network_errors",
            "Host interface errors by direction (receive, transmit).",
            ["interface", "direction"],
        )
        if snapshot is not None:
            for core, percent in enumerate(snapshot.cpu_percent):
                cpu.add_metric([str(core)], percent)
            for period, value in zip(("1m", "5m", "15m"), snapshot.load_average, strict=True):
                load.add_metric([period], value)
            cores.add_metric([], len(snapshot.cpu_percent))
            memory.add_metric(["total"], snapshot.memory_total_bytes)
            memory.add_metric(["available"], snapshot.memory_available_bytes)
            limit.add_metric([], snapshot.memory_limit_bytes)
            for path, d in snapshot.disks.items():
                disk_used.add_metric([path], d.used_bytes)
                disk_total.add_metric([path], d.total_bytes)
            for nic, n in snapshot.network.items():
                rx.add_metric([nic], n.received_bytes)
                tx.add_metric([nic], n.transmitted_bytes)
                errors.add_metric([nic, "receive"], n.receive_errors)
                errors.add_metric([nic, "transmit"], n.transmit_errors)
        return (cpu, load, cores, memory, limit, disk_used, disk_total, rx, tx, errors)
