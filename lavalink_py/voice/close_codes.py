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
