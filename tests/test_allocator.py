"""glibc tuned at start: a big block freed goes back to the system, and new threads get no arena of their own."""

from __future__ import annotations

import ctypes
import threading

import pytest

from lavalink_py.allocator import ARENA_MAX, MMAP_THRESHOLD_BYTES, arenas, mallinfo2, tune_malloc


def glibc() -> ctypes.CDLL:
    if mallinfo2() is None:
        pytest.skip("not glibc 2.33 or later (no mallinfo2)")
    libc = ctypes.CDLL(None)
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    return libc


def mmapped_bytes(libc: ctypes.CDLL) -> int:
    info = mallinfo2()
    assert info is not None
    return int(info.hblkhd)


def test_after_the_fix_a_block_past_the_threshold_is_mmapped_even_once_a_bigger_one_was_freed() -> None:
    libc = glibc()
    assert tune_malloc({}) == ["mmap_threshold", "arena_max"]
    # Unfixed, glibc would raise its threshold to 4 MiB on this free and take the next 1 MiB block from the heap.
    libc.free(libc.malloc(4 * 2**20))
    before = mmapped_bytes(libc)
    block = libc.malloc(2**20)
    try:
        assert mmapped_bytes(libc) >= before + 2**20
    finally:
        libc.free(block)
    assert mmapped_bytes(libc) == before  # unmapped on free: the pages are the system's again
    assert MMAP_THRESHOLD_BYTES < 2**20


def test_an_operators_own_settings_are_left_alone() -> None:
    assert tune_malloc({"MALLOC_MMAP_THRESHOLD_": "65536"}) == ["arena_max"]
    assert tune_malloc({"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_ARENA_MAX": "4"}) == []


def test_after_the_tuning_new_threads_share_the_arenas_there_are() -> None:
    libc = glibc()
    tune_malloc({})
    before = len(arenas())
    started = threading.Barrier(9)

    def allocate() -> None:
        block = libc.malloc(4096)  # a thread's first malloc is what gives it an arena
        started.wait(30)  # all eight hold theirs at once, so none could hand its arena on
        libc.free(block)

    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.wait(30)
    during = len(arenas())
    for thread in threads:
        thread.join(30)
    # Untuned, glibc gives each of them an arena up to 8 per core; tuned, at most ARENA_MAX exist in all.
    assert during <= max(before, ARENA_MAX), (before, during)
