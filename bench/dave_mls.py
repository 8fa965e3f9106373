"""What DAVE's MLS calls cost the node, and whether davey lets other Python threads run during them (issue 11).

    python -m bench.dave_mls [--changes 10]

The node's DaveAdapter is driven through the fake gateway's DaveGroup (no sockets): it joins a group, then
`--changes` members join and leave one at a time. Per op: this thread's CPU time and wall time inside the call, and
how fast a Python thread spinning a counter ran meanwhile, relative to its rate while this thread sleeps (≈ 0: the
call holds the GIL, so a thread would not free the frame clock; ≈ 1: it releases it).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from lavalink_py.voice.dave import DaveAdapter, JsonOut
from tests.fakes.discord_voice.group import DaveGroup

NODE, CHANNEL = 333, 222


class Spinner:
    def __init__(self) -> None:
        self.count = 0
        self._stop = False
        self._thread = threading.Thread(target=self._spin, daemon=True)

    def _spin(self) -> None:
        while not self._stop:
            self.count += 1

    def __enter__(self) -> Spinner:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._thread.join()

    def idle_rate(self) -> float:
        start, began = self.count, time.perf_counter()
        time.sleep(0.2)
        return (self.count - start) / (time.perf_counter() - began)


class Timings:
    def __init__(self, spinner: Spinner) -> None:
        self.spinner = spinner
        self.by_op: dict[str, list[tuple[float, float, int]]] = {}

    def call(self, op: str, fn: Callable[[], None]) -> None:
        count, wall, cpu = self.spinner.count, time.perf_counter(), time.thread_time()
        fn()
        entry = (time.thread_time() - cpu, time.perf_counter() - wall, self.spinner.count - count)
        self.by_op.setdefault(op, []).append(entry)


def exchange(group: DaveGroup, node: DaveAdapter, timings: Timings) -> None:
    """Delivers what the gateway and the node have for each other until both are quiet."""
    for _ in range(8):
        for message in group.take_output():
            if message.binary is not None:
                timings.call(f"op {message.op}", partial(node.receive_binary, message.op, message.binary))
            elif message.json is not None and message.op == 11:
                node.clients_connected([int(u) for u in message.json["user_ids"]])
            elif message.json is not None and message.op == 13:
                node.client_disconnected(int(message.json["user_id"]))
            elif message.json is not None:
                timings.call(f"op {message.op}", partial(node.receive_json, message.op, message.json))
        for out in node.data_to_send():
            if isinstance(out, JsonOut):
                if out.op == 23:
                    group.transition_ready(int(out.d["transition_id"]))
            elif out[0] == 26:
                group.node_key_package_received(out[1:])
            elif out[0] == 28:
                group.commit_received(out[1:])


def _discard(_value: object) -> None:
    pass


def measure(changes: int) -> dict[str, Any]:
    with Spinner() as spinner:
        idle = spinner.idle_rate()
        timings = Timings(spinner)
        group = DaveGroup(CHANNEL, NODE)
        group.add_listener(501, decode=False)
        group.take_output()
        node = DaveAdapter(NODE, CHANNEL)
        timings.call("op 4 (re-init + key package)", lambda: node.session_description(1))
        group.opening_messages()
        exchange(group, node, timings)
        for i in range(changes):
            group.add_listener(600 + i, decode=False)
            exchange(group, node, timings)
        for i in range(changes):
            group.remove_listener(600 + i)
            exchange(group, node, timings)
        session = node.session
        assert session is not None and session.ready
        frame = b"\x01" * 120
        for _ in range(200):
            timings.call("encrypt_opus (per frame)", lambda: _discard(session.encrypt_opus(frame)))
    report: dict[str, Any] = {}
    for op, entries in sorted(timings.by_op.items()):
        cpus = sorted(c for c, _, _ in entries)
        walls = sorted(w for _, w, _ in entries)
        wall_total = sum(walls)
        report[op] = {
            "calls": len(entries),
            "cpu_median_ms": round(cpus[len(cpus) // 2] * 1000, 3),
            "cpu_max_ms": round(cpus[-1] * 1000, 3),
            "wall_median_ms": round(walls[len(walls) // 2] * 1000, 3),
            "other_thread_rate": round(sum(n for _, _, n in entries) / wall_total / idle, 2) if wall_total else 0.0,
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(measure(args.changes), indent=2))


if __name__ == "__main__":
    main()
