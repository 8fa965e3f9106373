"""What a track stream reports instead of raising: how it ended (and `apply_gain`'s optional float stage).

Nothing here raises into the frame clock. A stream ends with a `StreamOutcome`: finished (end of media or
endTime) or failed with Lavalink's exception fields (message, severity, cause).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:  # numpy loads with the first stream, not at start-up (issue 11)
    import numpy as np
    import numpy.typing as npt

Pcm: TypeAlias = "npt.NDArray[np.float32]"


class Severity(Enum):
    """Lavalink's `TrackException.severity`."""

    COMMON = "common"
    SUSPICIOUS = "suspicious"
    FAULT = "fault"


class EndReason(Enum):
    FINISHED = "finished"
    LOAD_FAILED = "loadFailed"


@dataclass(frozen=True, slots=True)
class StreamFailure:
    message: str
    severity: Severity
    cause: str


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    reason: EndReason
    failure: StreamFailure | None = None


FINISHED = StreamOutcome(EndReason.FINISHED)


class FilterChain(Protocol):
    """The optional float stage of `pcm.apply_gain` (48 kHz stereo float32, (samples, 2) -> same shape).

    The player's filters no longer come through here: `audio/filters/` builds them into a `FilterPlan` that the
    pipeline runs before the player volume; the pipeline calls `apply_gain` with None.
    """

    def process(self, block: Pcm) -> Pcm: ...


class AudioError(Exception):
    """A source problem that ends the track with a TrackExceptionEvent (never reaches the clock)."""

    def __init__(self, message: str, severity: Severity, cause: str) -> None:
        super().__init__(message)
        self.failure = StreamFailure(message, severity, cause)
