"""The gateway's side of DAVE for one call: roster, epochs, proposals, choosing commits, transitions.

As Discord runs it: the node's key package (op 26) and each listener's become external Add proposals (op 27);
the node commits (op 28); the first commit that every member accepts wins and is announced (op 29) while the
Welcome goes to the added members (op 30 — the simulated listeners take it directly); after the node's op 23 the
gateway executes the transition (op 22). When the last listener leaves, the sole-member reset is op 24 + op 21.
After an op 31 the node re-inits and sends a new key package, and an existing member commits remove + re-add.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import davey

from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.mls import ExternalSender, proposals_body, split_commit_welcome, vec


@dataclass(frozen=True)
class ToNode:
    op: int
    json: dict[str, Any] | None = None
    binary: bytes | None = None


@dataclass
class _Awaiting:
    epoch: int
    adds: list[int]
    removes: list[int]


@dataclass
class DaveGroup:
    channel_id: int
    node_id: int
    external: ExternalSender = field(init=False)
    epoch: int = 0
    leaves: list[int | None] = field(default_factory=list)
    listeners: dict[int, SimulatedListener] = field(default_factory=dict)
    node_key_package: bytes | None = None
    invalid_commits: int = 0
    invalid_reports: list[int] = field(default_factory=list)
    executed: list[int] = field(default_factory=list)
    _awaiting: _Awaiting | None = None
    _pending_transition: int | None = None
    _next_transition: int = 1
    _out: list[ToNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.external = ExternalSender(self.channel_id)

    def take_output(self) -> list[ToNode]:
        out, self._out = self._out, []
        return out

    def reset(self) -> None:
        """A new voice session (Identify): the group starts over; listeners re-join."""
        self.epoch, self.leaves, self.node_key_package = 0, [], None
        self._awaiting = self._pending_transition = None
        for listener in self.listeners.values():
            listener.start(self.external.sender_body)

    def opening_messages(self) -> None:
        self._out.append(ToNode(25, binary=self.external.sender_body))
        if self.listeners:
            self._out.append(ToNode(11, {"user_ids": [str(u) for u in self.listeners]}))

    def _joined(self) -> list[SimulatedListener]:
        return [li for li in self.listeners.values() if li.joined]

    def _propose(self, messages: list[bytes], awaiting: _Awaiting) -> None:
        body = vec(b"".join(messages))
        for member in self._joined():
            expected = [self.node_id, *self.listeners]
            member.session.process_proposals(davey.ProposalsOperationType.append, body, expected)
        self._awaiting = awaiting
        self._out.append(ToNode(27, binary=proposals_body(messages)))

    # -- membership -------------------------------------------------------------------------------------------------
    def add_listener(self, user_id: int, decode: bool = True) -> SimulatedListener:
        listener = SimulatedListener(user_id, self.channel_id, decode=decode)
        listener.start(self.external.sender_body)
        self.listeners[user_id] = listener
        self._out.append(ToNode(11, {"user_ids": [str(user_id)]}))
        if self.node_key_package is not None and self._awaiting is None:
            self._propose([self.external.add(self.epoch, listener.key_package)], _Awaiting(self.epoch, [user_id], []))
        return listener

    def remove_listener(self, user_id: int) -> None:
        listener = self.listeners.pop(user_id)
        self._out.append(ToNode(13, {"user_id": str(user_id)}))
        if not listener.joined:
            return
        if not self._joined():
            # Sole-member reset: the node starts a new group by itself.
            self.epoch, self.leaves, self.node_key_package = 0, [], None
            self._out.append(ToNode(24, {"epoch": 1, "protocol_version": 1}))
            self._out.append(ToNode(21, {"transition_id": 0, "protocol_version": 1}))
            return
        leaf = self.leaves.index(user_id)
        self._propose([self.external.remove(self.epoch, leaf)], _Awaiting(self.epoch, [], [user_id]))

    # -- node input -------------------------------------------------------------------------------------------------
    def node_key_package_received(self, key_package: bytes) -> None:
        self.node_key_package = key_package
        joined = self._joined()
        if joined:  # an established group: the node re-joins (after op 31) through a member's commit
            self._rejoin_node(joined[0], key_package)
            return
        pending = [li for li in self.listeners.values() if not li.joined]
        if pending and self.epoch == 0:
            adds = [self.external.add(0, li.key_package) for li in pending]
            self._propose(adds, _Awaiting(0, [li.user_id for li in pending], []))

    def _rejoin_node(self, committer: SimulatedListener, key_package: bytes) -> None:
        messages = [self.external.add(self.epoch, key_package)]
        if self.node_id in self.leaves:
            messages.insert(0, self.external.remove(self.epoch, self.leaves.index(self.node_id)))
        body = vec(b"".join(messages))
        result = None
        for member in self._joined():
            expected = [self.node_id, *self.listeners]
            made = member.session.process_proposals(davey.ProposalsOperationType.append, body, expected)
            result = made if member is committer else result
        assert result is not None and result.welcome is not None
        for member in self._joined():
            member.session.process_commit(result.commit)
        self._apply_roster([], [self.node_id])
        tid = self._start_transition()
        self._out.append(ToNode(30, binary=tid.to_bytes(2, "big") + result.welcome))

    def commit_received(self, data: bytes) -> None:
        awaiting = self._awaiting
        if awaiting is None or awaiting.epoch != self.epoch:
            return
        commit, welcome = split_commit_welcome(data)
        # A member may have left while its add was being committed; the commit still adds its leaf.
        added = [self.listeners[u] for u in awaiting.adds if u in self.listeners]
        try:
            for member in self._joined():
                member.session.process_commit(commit)
            for listener in added:
                if welcome is None:
                    raise ValueError("commit adds members but carries no welcome")
                listener.session.process_welcome(welcome)
        except ValueError:
            self.invalid_commits += 1
            return
        for listener in added:
            listener.joined = True
        if self.epoch == 0:
            self.leaves = [self.node_id]
        self._apply_roster(awaiting.removes, awaiting.adds)
        self._awaiting = None
        tid = self._start_transition()
        self._out.append(ToNode(29, binary=tid.to_bytes(2, "big") + commit))

    def _apply_roster(self, removes: list[int], adds: list[int]) -> None:
        for user_id in removes:
            self.leaves[self.leaves.index(user_id)] = None
        for user_id in adds:
            if None in self.leaves:
                self.leaves[self.leaves.index(None)] = user_id
            else:
                self.leaves.append(user_id)
        self.epoch += 1

    def _start_transition(self) -> int:
        tid = self._next_transition
        self._next_transition = tid % 0xFFFF + 1
        self._pending_transition = tid
        return tid

    def transition_ready(self, transition_id: int) -> None:
        if transition_id == self._pending_transition:
            self._pending_transition = None
            self.executed.append(transition_id)
            self._out.append(ToNode(22, {"transition_id": transition_id}))
            self._propose_waiting_listeners()

    def _propose_waiting_listeners(self) -> None:
        pending = [li for li in self.listeners.values() if not li.joined]
        if pending and self.node_key_package is not None and self._awaiting is None and self.node_id in self.leaves:
            adds = [self.external.add(self.epoch, li.key_package) for li in pending]
            self._propose(adds, _Awaiting(self.epoch, [li.user_id for li in pending], []))

    def invalid_commit_reported(self, transition_id: int) -> None:
        self.invalid_reports.append(transition_id)
        self._pending_transition = None

    def downgrade(self) -> None:
        """Prepare a transition to protocol version 0 (transport encryption only); op 22 follows the node's op 23."""
        for listener in self._joined():
            listener.session.set_passthrough_mode(True, 120)
        tid = self._start_transition()
        self._out.append(ToNode(21, {"transition_id": tid, "protocol_version": 0}))

    def inject_invalid_commit(self) -> None:
        tid = self._start_transition()
        self._out.append(ToNode(29, binary=tid.to_bytes(2, "big") + b"\x00\x01\x00\x01not-a-commit"))
