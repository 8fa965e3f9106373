"""libopus called through ctypes, so encoding runs without the GIL.

PyAV 18's `CodecContext.encode` holds the GIL (measured: two threads encoding took twice as long as one), so a
thread pool gained nothing. ctypes releases the GIL for the duration of each foreign call, which lets the
pool's threads encode on every core. The library is the one PyAV bundles (same build FFmpeg uses); if it
cannot be found, `load()` returns None and the engine falls back to PyAV's encoder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os

import av

APPLICATION_AUDIO = 2049
SET_BITRATE = 4002
SET_COMPLEXITY = 4010
MAX_PACKET = 1500


def _find() -> str | None:
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    bundled = sorted(glob.glob(os.path.join(libs_dir, "libopus*.so*")))
    return bundled[0] if bundled else ctypes.util.find_library("opus")


def load() -> ctypes.CDLL | None:
    path = _find()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_encode.restype = ctypes.c_int32
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int32]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_encoder_destroy.restype = None
    return lib


LIB = load()


class CtypesOpusEncoder:
    """48 kHz stereo s16 -> one Opus packet per 960-sample frame."""

    def __init__(self, lib: ctypes.CDLL, complexity: int, bitrate: int) -> None:
        err = ctypes.c_int(0)
        handle = lib.opus_encoder_create(48_000, 2, APPLICATION_AUDIO, ctypes.byref(err))
        if err.value != 0 or not handle:
            raise RuntimeError(f"opus_encoder_create failed: {err.value}")
        self._lib = lib
        self._handle = ctypes.c_void_p(handle)
        # opus_encoder_ctl is variadic; an int argument is passed the same way on every supported ABI.
        lib.opus_encoder_ctl(self._handle, SET_BITRATE, ctypes.c_int32(bitrate))
        self.complexity = -1
        self.set_complexity(complexity)
        self._out = ctypes.create_string_buffer(MAX_PACKET)

    def set_complexity(self, complexity: int) -> None:
        """Applies from the next frame on, with no gap or reset (the overload policy lowers it under load)."""
        if complexity != self.complexity:
            err = self._lib.opus_encoder_ctl(self._handle, SET_COMPLEXITY, ctypes.c_int32(complexity))
            if err != 0:
                raise RuntimeError(f"OPUS_SET_COMPLEXITY({complexity}) failed: {err}")
            self.complexity = complexity

    def encode_frame(self, pcm_address: int) -> bytes:
        n = self._lib.opus_encode(self._handle, pcm_address, 960, self._out, MAX_PACKET)
        if n < 0:
            raise RuntimeError(f"opus_encode failed: {n}")
        return self._out.raw[:n]

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.opus_encoder_destroy(handle)
