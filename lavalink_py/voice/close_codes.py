"""What to do when the voice WebSocket closes, as a table (Discord docs, opcodes-and-status-codes).

Only network-level closes (< 4000) and 4015 (voice server crashed) allow a resume; some codes call for a fresh
Identify; the rest are final for these credentials. `reported` says whether the Lavalink client hears about it
as a WebSocketClosedEvent (closes we recover from transparently are not reported).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class CloseAction(enum.Enum):
    RESUME = "resume"
    RECONNECT = "reconnect"  # new socket, new Identify, same credentials
    GIVE_UP = "give_up"


@dataclass(frozen=True, slots=True)
class ClosePolicy:
    action: CloseAction
    reported: bool
    meaning: str


_RESUME = ClosePolicy(CloseAction.RESUME, False, "network close")

CLOSE_POLICIES: dict[int, ClosePolicy] = {
    4001: ClosePolicy(CloseAction.RECONNECT, True, "unknown opcode"),
    4002: ClosePolicy(CloseAction.RECONNECT, True, "failed to decode payload"),
    4003: ClosePolicy(CloseAction.RECONNECT, True, "not authenticated"),
    4004: ClosePolicy(CloseAction.GIVE_UP, True, "authentication failed"),
    4005: ClosePolicy(CloseAction.GIVE_UP, True, "already authenticated"),
    4006: ClosePolicy(CloseAction.RECONNECT, True, "session no longer valid"),
    4009: ClosePolicy(CloseAction.RECONNECT, True, "session timeout"),
    4011: ClosePolicy(CloseAction.GIVE_UP, True, "server not found"),
    4012: ClosePolicy(CloseAction.GIVE_UP, True, "unknown protocol"),
    4014: ClosePolicy(CloseAction.GIVE_UP, True, "disconnected"),
    4015: ClosePolicy(CloseAction.RESUME, False, "voice server crashed"),
    4016: ClosePolicy(CloseAction.GIVE_UP, True, "unknown encryption mode"),
    4017: ClosePolicy(CloseAction.GIVE_UP, True, "E2EE/DAVE protocol required"),
    4020: ClosePolicy(CloseAction.GIVE_UP, True, "bad request"),
    4021: ClosePolicy(CloseAction.GIVE_UP, True, "rate limited"),
    4022: ClosePolicy(CloseAction.GIVE_UP, True, "call terminated"),
}

_UNKNOWN_APPLICATION = ClosePolicy(CloseAction.GIVE_UP, True, "unknown close code")


def policy_for(code: int | None) -> ClosePolicy:
    if code is None or code < 4000:
        return _RESUME
    return CLOSE_POLICIES.get(code, _UNKNOWN_APPLICATION)


LOCAL_PROTOCOL_ERROR = 1002  # our own close after the server's input broke the protocol
MAX_FAILED_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class CloseDecision:
    action: CloseAction
    report: bool  # send the Lavalink client a WebSocketClosedEvent


def decide(code: int, by_remote: bool, can_resume: bool, failed_attempts: int) -> CloseDecision:
    """What the driver does after a close: the table, plus our own protocol errors and a retry limit.

    `failed_attempts` counts consecutive connections that ended before the session was up again.
    """
    policy = policy_for(code)
    if (code == LOCAL_PROTOCOL_ERROR and not by_remote) or failed_attempts >= MAX_FAILED_ATTEMPTS:
        return CloseDecision(CloseAction.GIVE_UP, True)
    action = policy.action
    if action is CloseAction.RESUME and not can_resume:
        action = CloseAction.RECONNECT
    return CloseDecision(action, policy.reported or action is CloseAction.GIVE_UP)
