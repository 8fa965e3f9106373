"""DAVE (Discord Audio & Video End-to-End Encryption) adapter over `davey.DaveSession`, sans-I/O.

Sequence, as the voice gateway runs it (DAVE whitepaper v1.1.4, Discord voice docs):
  op 4 dave_protocol_version > 0 -> (re)init the session, send op 26 key package
  op 25 external sender          -> session.set_external_sender (may arrive before op 4)
  op 27 proposals                -> process with the expected user ids (ops 11/13); a commit goes out as op 28
  op 29 commit / op 30 welcome   -> apply; tid != 0 -> remember pending[tid], send op 23 transition ready
                                    failure -> op 31 invalid commit welcome, reinit, new key package
  op 21 prepare transition       -> pending[tid] = version; tid 0 executes at once; downgrade -> passthrough
  op 22 execute transition       -> the sending protocol version becomes pending.pop(tid)
  op 24 prepare epoch (epoch 1)  -> new group: reinit, new key package
While DAVE is required but the session is not ready, frames are withheld (never sent as plain Opus), except
the Opus silence frame, which DAVE receivers always let through.

Threads: davey releases the GIL inside ops 27, 29 and 30 (1-5 ms of CPU each; bench/dave_mls.py), so the driver
may run those calls off the loop: `begin_binary` splits one into an `MlsCall` whose `run()` touches only the davey
session (any thread, under `_session_lock`) and whose `finish()` applies the outcome to this adapter (the adapter's
thread, in message order); the adapter's own state is touched only on its thread. The sender's `encrypt` does not
take the lock (waiting for a commit made frames up to 65 ms late under load): davey's PyO3 bindings make each call
on a session atomic, so a frame carries the old epoch's keys or the new one's, never a half-applied commit; a call
they refuse beside another (RuntimeError, "already borrowed") waits for the in-flight MlsCall under the lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import davey

from lavalink_py.voice.errors import DaveError

log = logging.getLogger(__name__)

OP_PREPARE_TRANSITION = 21
OP_EXECUTE_TRANSITION = 22
OP_TRANSITION_READY = 23
OP_PREPARE_EPOCH = 24
OP_EXTERNAL_SENDER = 25
OP_KEY_PACKAGE = 26
OP_PROPOSALS = 27
OP_COMMIT_WELCOME = 28
OP_ANNOUNCE_COMMIT = 29
OP_WELCOME = 30
OP_INVALID_COMMIT_WELCOME = 31
# The binary ops whose davey call releases the GIL: worth running on another thread (see the module docstring).
OFFLOADABLE_OPS = frozenset({OP_PROPOSALS, OP_ANNOUNCE_COMMIT, OP_WELCOME})

SILENCE_FRAME = b"\xf8\xff\xfe"
DOWNGRADE_PASSTHROUGH_S = 120
UPGRADE_PASSTHROUGH_S = 10
# davey's enum cannot be built from an int.
_OPERATIONS = (davey.ProposalsOperationType.append, davey.ProposalsOperationType.revoke)


@dataclass(frozen=True, slots=True)
class JsonOut:
    op: int
    d: dict[str, Any]


Outbound = JsonOut | bytes


@dataclass(slots=True)
class DaveStats:
    withheld_frames: int = 0
    encrypt_failures: int = 0
    rejected_proposals: int = 0
    recoveries: int = 0
    transitions: int = 0
    encrypt_waits: int = 0  # frames that had to wait for an MLS call on another thread (see encrypt)


class MlsCall:
    """One GIL-releasing davey call (ops 27, 29, 30), split: `run()` on any thread, then `finish()` on the
    adapter's thread, once, before the connection's next message is handled."""

    __slots__ = ("_call", "_error", "_finish", "_result")

    def __init__(self, call: Callable[[], object], finish: Callable[[object, ValueError | None], None]) -> None:
        self._call = call
        self._finish = finish
        self._result: object = None
        self._error: ValueError | None = None

    def run(self) -> None:
        try:
            self._result = self._call()
        except ValueError as exc:  # davey's only error: the outcome, applied by finish()
            self._error = exc

    def finish(self) -> None:
        self._finish(self._result, self._error)


def _int_field(d: dict[str, Any], key: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise DaveError(f"DAVE field {key!r} must be a non-negative integer, got {value!r}")
    return value


class DaveAdapter:
    def __init__(self, user_id: int, channel_id: int, max_protocol_version: int = davey.DAVE_PROTOCOL_VERSION) -> None:
        self.user_id = user_id
        self.channel_id = channel_id
        self.max_protocol_version = max_protocol_version
        # Sending protocol version; 0 = transport encryption only.
        self.protocol_version = 0
        self.connected_user_ids: set[int] = set()
        self.stats = DaveStats()
        self._pending: dict[int, int] = {}
        # Bumped by new_session: an MlsCall begun before it (its socket died meanwhile) finishes into nothing.
        self._generation = 0
        self._outbound: list[Outbound] = []
        # Held around every call into the session: an MlsCall may run on another thread (module docstring).
        self._session_lock = threading.Lock()
        self._session: davey.DaveSession | None = None
        if max_protocol_version > 0:
            self._session = davey.DaveSession(max_protocol_version, user_id, channel_id)

    @property
    def session(self) -> davey.DaveSession | None:
        return self._session

    @property
    def ready(self) -> bool:
        """True when a frame may be sent now: transport-only, or DAVE with an established group."""
        if self.protocol_version == 0:
            return True
        session = self._session
        return session is not None and session.ready

    def data_to_send(self) -> list[Outbound]:
        out, self._outbound = self._outbound, []
        return out

    def new_session(self) -> None:
        """A new voice session (Identify): the old group is gone, and op 25 may arrive before op 4."""
        self._generation += 1
        self.protocol_version = 0
        self._pending.clear()
        self._outbound.clear()
        if self._session is not None:
            # An active group refuses a new external sender (davey: AlreadyInGroup).
            with self._session_lock:
                self._session.reset()

    def session_description(self, version: int) -> None:
        if version > self.max_protocol_version:
            raise DaveError(f"server chose DAVE version {version}, above our maximum {self.max_protocol_version}")
        self._pending.clear()
        self._begin(version)

    def _begin(self, version: int) -> None:
        """A new group at `version` (op 4, or op 24 for epoch 1); version 0 has none: transport encryption only."""
        self.protocol_version = version
        if version > 0:
            self._reinit()
        elif self._session is not None:
            with self._session_lock:
                self._session.reset()
                self._session.set_passthrough_mode(True, None)

    def _reinit(self) -> None:
        with self._session_lock:
            if self._session is None:
                self._session = davey.DaveSession(self.protocol_version, self.user_id, self.channel_id)
            else:
                self._session.reinit(self.protocol_version, self.user_id, self.channel_id)
            key_package = self._session.get_serialized_key_package()
        self._outbound.append(bytes([OP_KEY_PACKAGE]) + key_package)

    def clients_connected(self, user_ids: list[int]) -> None:
        self.connected_user_ids.update(user_ids)

    def client_disconnected(self, user_id: int) -> None:
        self.connected_user_ids.discard(user_id)

    def receive_binary(self, op: int, payload: bytes) -> None:
        if op in OFFLOADABLE_OPS:
            call = self.begin_binary(op, payload)
            call.run()
            call.finish()
            return
        session = self._session
        if session is None:
            return
        if op == OP_EXTERNAL_SENDER:
            try:
                with self._session_lock:
                    session.set_external_sender(payload)
            except ValueError as exc:
                raise DaveError(f"op 25 external sender rejected: {exc}") from exc
        else:
            log.debug("ignoring binary voice op %d (%d bytes) channel=%d", op, len(payload), self.channel_id)

    def begin_binary(self, op: int, payload: bytes) -> MlsCall:
        """Op 27, 29 or 30 as an `MlsCall` (see the module docstring); a malformed one raises DaveError here."""
        session, generation = self._session, self._generation
        call: Callable[[davey.DaveSession], object]
        outcome: Callable[[object, ValueError | None], None]
        if op == OP_PROPOSALS:
            if len(payload) < 2 or payload[0] >= len(_OPERATIONS):
                raise DaveError(f"op 27 proposals truncated or with unknown operation ({len(payload)} bytes)")
            # The roster as of this message: ops 11/13 after it must not change what this call sees.
            operation, expected = _OPERATIONS[payload[0]], sorted(self.connected_user_ids)
            call = lambda s: s.process_proposals(operation, payload[1:], expected)  # noqa: E731
            outcome = self._proposals_done
        elif op in (OP_ANNOUNCE_COMMIT, OP_WELCOME):
            if len(payload) < 3:
                raise DaveError(f"op {op} truncated ({len(payload)} bytes)")
            transition_id, body = int.from_bytes(payload[:2], "big"), payload[2:]
            commit = op == OP_ANNOUNCE_COMMIT
            call = lambda s: s.process_commit(body) if commit else s.process_welcome(body)  # noqa: E731
            outcome = lambda _result, error: self._commit_or_welcome_done(op, transition_id, error)  # noqa: E731
        else:
            raise ValueError(f"op {op} is not an MLS call to split")

        def finish(result: object, error: ValueError | None) -> None:
            if generation == self._generation:  # else a new session (Identify) began while the call ran
                outcome(result, error)

        return MlsCall(lambda: self._locked(call, session), finish)

    def _locked(self, call: Callable[[davey.DaveSession], object], session: davey.DaveSession | None) -> object:
        if session is None:
            return None
        with self._session_lock:
            return call(session)

    def _proposals_done(self, result: object, error: ValueError | None) -> None:
        if error is not None:
            # The gateway times the transition out and proposes again; nothing to commit meanwhile.
            self.stats.rejected_proposals += 1
            log.warning("DAVE proposals rejected channel=%d: %s", self.channel_id, error)
            return
        if isinstance(result, davey.CommitWelcome):
            self._outbound.append(bytes([OP_COMMIT_WELCOME]) + result.commit + (result.welcome or b""))

    def _commit_or_welcome_done(self, op: int, transition_id: int, error: ValueError | None) -> None:
        if self._session is None:
            return
        if error is not None:
            log.warning("DAVE op %d invalid, recovering channel=%d: %s", op, self.channel_id, error)
            self.stats.recoveries += 1
            self._outbound.append(JsonOut(OP_INVALID_COMMIT_WELCOME, {"transition_id": transition_id}))
            self._reinit()
            return
        if transition_id != 0:
            self._pending[transition_id] = self.protocol_version
            self._outbound.append(JsonOut(OP_TRANSITION_READY, {"transition_id": transition_id}))

    def receive_json(self, op: int, d: dict[str, Any]) -> None:
        if op == OP_PREPARE_TRANSITION:
            transition_id = _int_field(d, "transition_id")
            version = _int_field(d, "protocol_version")
            self._pending[transition_id] = version
            if transition_id == 0:
                self._execute(0)
                return
            if version == 0 and self._session is not None:
                with self._session_lock:
                    self._session.set_passthrough_mode(True, DOWNGRADE_PASSTHROUGH_S)
            self._outbound.append(JsonOut(OP_TRANSITION_READY, {"transition_id": transition_id}))
        elif op == OP_EXECUTE_TRANSITION:
            self._execute(_int_field(d, "transition_id"))
        elif op == OP_PREPARE_EPOCH:
            epoch = _int_field(d, "epoch")
            version = _int_field(d, "protocol_version")
            if epoch == 1:
                if version > self.max_protocol_version:
                    raise DaveError(f"op 24 asks for DAVE version {version}, above {self.max_protocol_version}")
                self._begin(version)  # davey has no group at version 0: it raised here (fuzzer, 2026-12-06)

    def _execute(self, transition_id: int) -> None:
        if transition_id not in self._pending:
            return
        old, new = self.protocol_version, self._pending.pop(transition_id)
        self.protocol_version = new
        self.stats.transitions += 1
        if old == 0 and new > 0 and self._session is not None:
            with self._session_lock:
                self._session.set_passthrough_mode(True, UPGRADE_PASSTHROUGH_S)

    def encrypt(self, frame: bytes) -> bytes | None:
        """The payload to send for one Opus frame, or None when it must be withheld."""
        if self.protocol_version == 0 or frame == SILENCE_FRAME:
            return frame
        session = self._session
        if session is None or not session.ready:
            self.stats.withheld_frames += 1
            return None
        try:
            return session.encrypt_opus(frame)
        except ValueError:
            self.stats.encrypt_failures += 1
            return None
        except RuntimeError:
            # davey's bindings refused a call beside the MlsCall running on this session ("already borrowed"):
            # wait for that call (it holds the lock), then encrypt with the epoch it left.
            self.stats.encrypt_waits += 1
            with self._session_lock:
                try:
                    return session.encrypt_opus(frame)
                except ValueError:
                    self.stats.encrypt_failures += 1
                    return None
