"""glibc malloc for a long-running node: a fixed mmap threshold, so a freed big block goes back to the system.

glibc serves a block of 128 KiB or more with its own mmap, but each time such a block is freed it raises that
threshold to the block's size (up to 32 MiB), and from then on blocks of that size come from the main heap. Under
the node's churn (players, voice connections with TLS and DAVE, tracks opened and closed every second) those big
blocks fragment the main arena: in the 50-player soak its free-but-kept bytes climbed 0.7 → 3.1 MiB in 5 minutes
with the bytes in use flat, and RSS rose 0.6 MiB/min; with the threshold fixed at 128 KiB (fixing it also turns
the adjustment off) the main arena grew 80 KiB and RSS 0.1 MiB/min (BENCHMARKS.md, "Soak under churn").
MALLOC_ARENA_MAX=2 and a malloc_trim(0) every 30 s did not change the slope: the other arenas (the decode and
open threads') stayed flat, and trim cannot return pages that live blocks sit between.

An operator's MALLOC_MMAP_THRESHOLD_ wins (glibc read it at start; it is left alone). Elsewhere than glibc
(musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Mapping

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD = -3  # malloc.h
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept instead of letting it climb
ENV_OVERRIDE = "MALLOC_MMAP_THRESHOLD_"


class MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2` (2.33+): totals over all arenas, in bytes."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def mallinfo2() -> MallInfo2 | None:
    """glibc's heap figures (uordblks in use, fordblks free but kept, hblkhd mmapped); None elsewhere."""
    if not _glibc():
        return None
    function = getattr(ctypes.CDLL(None), "mallinfo2", None)
    if function is None:
        return None
    function.restype = MallInfo2
    info: MallInfo2 = function()
    return info


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None  # "glibc 2.36"; musl and macOS have no such name
    except (ValueError, OSError):
        return False


def fix_mmap_threshold(environ: Mapping[str, str]) -> bool:
    """Sets glibc's mmap threshold to 128 KiB for good; True when it did (glibc, and no operator setting)."""
    if ENV_OVERRIDE in environ or not _glibc():
        return False
    libc = ctypes.CDLL(None)
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    if mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) != 1:  # 1 on success
        log.debug("mallopt(M_MMAP_THRESHOLD) refused; glibc keeps its adjusting threshold")
        return False
    return True
