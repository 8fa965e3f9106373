"""glibc's mmap threshold, fixed at start: a big block freed goes back to the system instead of raising it."""

from __future__ import annotations

import ctypes

import pytest

from lavalink_py.allocator import MMAP_THRESHOLD_BYTES, fix_mmap_threshold, mallinfo2


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
    assert fix_mmap_threshold({}) is True
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


def test_an_operators_own_threshold_is_left_alone() -> None:
    assert fix_mmap_threshold({"MALLOC_MMAP_THRESHOLD_": "65536"}) is False
