"""glibc malloc for a long-running node: a fixed mmap threshold and two arenas, so memory the churn frees is reused.

glibc serves a block of 128 KiB or more with its own mmap, but each time such a block is freed it raises that
threshold to the block's size (up to 32 MiB), and from then on blocks of that size come from the main heap. Under
the node's churn (players, voice connections with TLS and DAVE, tracks opened and closed every second) those big
blocks fragment the main arena: in the 50-player soak its free-but-kept bytes climbed 0.7 → 3.1 MiB in 5 minutes
with the bytes in use flat, and RSS rose 0.6 MiB/min; with the threshold fixed at 128 KiB (fixing it also turns
the adjustment off) the main arena grew 80 KiB. What was left: each new worker thread (the audio pools grow when
the machine is busy) got an arena of its own, which kept the high-water mark of what that thread allocated
(+2.9 MiB of free heap at one thread's start, 8 minutes in); at most two arenas, new threads share one. Figures:
BENCHMARKS.md, "Soak under churn". A malloc_trim(0) every 30 s did not change the slope (trim cannot return
pages that live blocks sit between).

An operator's MALLOC_MMAP_THRESHOLD_ or MALLOC_ARENA_MAX wins (glibc read it at start; that one is left alone).
Elsewhere than glibc (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import os
import tempfile
from collections.abc import Mapping
from xml.etree import ElementTree

log = logging.getLogger(__name__)
M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # malloc.h
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept instead of letting it climb
ARENA_MAX = 2  # the main arena and one for all worker threads
# (name, mallopt parameter, value, the environment variable that replaces it: glibc read that one at start)
TUNING = (
    ("mmap_threshold", M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES, "MALLOC_MMAP_THRESHOLD_"),
    ("arena_max", M_ARENA_MAX, ARENA_MAX, "MALLOC_ARENA_MAX"),
)


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


def arenas() -> list[dict[str, int]]:
    """Per glibc arena (malloc_info's XML): bytes it holds from the system and free inside it; [] elsewhere.

    For diagnostics (the soak): it writes and parses XML, not for a hot path."""
    libc = ctypes.CDLL(None) if _glibc() else None
    if libc is None or not hasattr(libc, "malloc_info"):
        return []
    with tempfile.TemporaryFile() as out:
        libc.fdopen.restype = ctypes.c_void_p
        stream = libc.fdopen(os.dup(out.fileno()), b"w")
        libc.malloc_info(0, ctypes.c_void_p(stream))
        libc.fclose(ctypes.c_void_p(stream))
        out.seek(0)
        root = ElementTree.fromstring(out.read())
    rows = []
    for heap in root.iter("heap"):
        sizes = {(e.get("type"), e.tag): int(e.get("size", "0")) for e in heap if e.tag in ("system", "total")}
        rows.append(
            {
                "arena": int(heap.get("nr", "-1")),
                "system_kib": sizes.get(("current", "system"), 0) // 1024,
                "free_kib": (sizes.get(("fast", "total"), 0) + sizes.get(("rest", "total"), 0)) // 1024,
            }
        )
    return rows


def _glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None  # "glibc 2.36"; musl and macOS have no such name
    except (ValueError, OSError):
        return False


def tune_malloc(environ: Mapping[str, str]) -> list[str]:
    """Applies TUNING through mallopt, each unless its environment variable is set; the names of those applied."""
    if not _glibc():
        return []
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return []
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    applied = []
    for name, parameter, value, variable in TUNING:
        if variable in environ:
            continue
        if mallopt(parameter, value) == 1:  # 1 on success
            applied.append(name)
        else:
            log.debug("mallopt(%s) refused; glibc keeps its default", name)
    return applied
