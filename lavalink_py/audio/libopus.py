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
import numpy as np
import numpy.typing as npt

APPLICATION_AUDIO = 2049
SET_BITRATE = 4002
SET_COMPLEXITY = 4010
SET_MAX_BANDWIDTH = 4004
MAX_PACKET = 1500
FRAME_BYTES = 960 * 2 * 2  # one 20 ms frame of 48 kHz stereo s16


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
        self._view = memoryview(self._out)  # a slice of it copies once (string_at is a second foreign call)

    def set_complexity(self, complexity: int) -> None:
        """Applies from the next frame on, with no gap or reset (the overload policy lowers it under load)."""
        if complexity != self.complexity:
            self.ctl(SET_COMPLEXITY, complexity)
            self.complexity = complexity

    def ctl(self, request: int, value: int) -> None:
        """An OPUS_SET_* request with an int argument (bitrate, max bandwidth: from the next frame on)."""
        err = self._lib.opus_encoder_ctl(self._handle, request, ctypes.c_int32(value))
        if err != 0:
            raise RuntimeError(f"opus_encoder_ctl({request}, {value}) failed: {err}")

    def encode_frame(self, pcm_address: int) -> bytes:
        n = self._lib.opus_encode(self._handle, pcm_address, 960, self._out, MAX_PACKET)
        if n < 0:
            raise RuntimeError(f"opus_encode failed: {n}")
        return bytes(self._view[:n])

    def encode_frames(self, pcm: npt.NDArray[np.int16]) -> list[bytes]:
        """One packet per whole 960-sample frame of C-contiguous (samples, 2) s16: one foreign call per frame, read
        in place from `pcm`, each packet copied once out of the encoder's buffer."""
        encode, handle, out, view = self._lib.opus_encode, self._handle, self._out, self._view
        base = pcm.ctypes.data
        packets: list[bytes] = []
        for offset in range(0, (len(pcm) // 960) * FRAME_BYTES, FRAME_BYTES):
            n = encode(handle, base + offset, 960, out, MAX_PACKET)
            if n < 0:
                raise RuntimeError(f"opus_encode failed: {n}")
            packets.append(bytes(view[:n]))
        return packets

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._lib.opus_encoder_destroy(handle)
