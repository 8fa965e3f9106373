"""libswresample called through ctypes: one call per decoded packet, straight from the frame's planes into int16.

The pipeline used PyAV's filter graph (abuffer -> aresample -> aformat -> abuffersink) for the same conversion. Per
packet that was a push, a pull that hands out an `AudioFrame` (with its `Fraction` time base) and a pull that
raises. `aresample` is a thin shell around one `SwrContext` set up with the filter's options, the input's format and
the output's: this module sets up the same context, so the samples are the same (tests/audio/test_resample_encode.py
compares the two byte for byte). The library is the one PyAV bundles; when it cannot be loaded, `load()` returns
None and pcm.Resampler keeps the graph.
"""

from __future__ import annotations

import ctypes
import glob
import os
from typing import Any

import av
import numpy as np
import numpy.typing as npt

_VoidPs = ctypes.POINTER(ctypes.c_void_p)


def _bundled(stem: str) -> str | None:
    libs_dir = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    found = sorted(glob.glob(os.path.join(libs_dir, f"{stem}*.so*")))
    return found[0] if found else None


class _Libs:
    def __init__(self, swr: ctypes.CDLL, util: ctypes.CDLL) -> None:
        swr.swr_alloc.restype = ctypes.c_void_p
        swr.swr_alloc.argtypes = []
        swr.swr_init.restype = ctypes.c_int
        swr.swr_init.argtypes = [ctypes.c_void_p]
        swr.swr_convert.restype = ctypes.c_int
        swr.swr_convert.argtypes = [ctypes.c_void_p, _VoidPs, ctypes.c_int, _VoidPs, ctypes.c_int]
        swr.swr_get_out_samples.restype = ctypes.c_int
        swr.swr_get_out_samples.argtypes = [ctypes.c_void_p, ctypes.c_int]
        swr.swr_free.restype = None
        swr.swr_free.argtypes = [_VoidPs]
        util.av_opt_set.restype = ctypes.c_int
        util.av_opt_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        self.swr = swr
        self.util = util


def load() -> _Libs | None:
    swr_path, util_path = _bundled("libswresample"), _bundled("libavutil")
    if swr_path is None or util_path is None:
        return None  # PyAV built against system libraries: the graph it is
    try:
        return _Libs(ctypes.CDLL(swr_path), ctypes.CDLL(util_path))
    except (OSError, AttributeError):
        return None


LIBS = load()


class SwrError(RuntimeError):
    pass


class SwrResampler:
    """One input format (sample format, rate, channel layout) to packed s16 stereo at `out_rate`."""

    def __init__(self, libs: _Libs, in_format: str, in_rate: int, in_layout: str, *, out_rate: int, args: str) -> None:
        self._libs = libs
        handle = libs.swr.swr_alloc()
        if not handle:
            raise SwrError("swr_alloc failed")
        self._handle = ctypes.c_void_p(handle)
        options = [
            *(tuple(pair.split("=", 1)) for pair in args.split(":") if pair),
            ("in_sample_fmt", in_format),
            ("out_sample_fmt", "s16"),
            ("in_sample_rate", str(in_rate)),
            ("out_sample_rate", str(out_rate)),
            ("in_chlayout", in_layout),
            ("out_chlayout", "stereo"),
        ]
        for name, value in options:
            if libs.util.av_opt_set(self._handle, name.encode(), value.encode(), 0) < 0:
                raise SwrError(f"swresample option {name}={value} refused")
        if (err := libs.swr.swr_init(self._handle)) < 0:
            raise SwrError(f"swr_init failed: {err}")
        self._convert = libs.swr.swr_convert
        self._bound = libs.swr.swr_get_out_samples
        self._out = (ctypes.c_void_p * 1)()

    def convert(self, frame: Any, planes: int) -> npt.NDArray[np.int16]:
        """The frame's samples at the output rate, (samples, 2) int16; what swr holds back (its filter's delay)
        comes out with the next packets."""
        count = frame.samples
        inputs = (ctypes.c_void_p * planes)(*(plane.buffer_ptr for plane in frame.planes[:planes]))
        out = np.empty((self._bound(self._handle, count), 2), np.int16)
        self._out[0] = out.ctypes.data
        got = self._convert(self._handle, self._out, len(out), inputs, count)
        if got < 0:
            raise SwrError(f"swr_convert failed: {got}")
        return out[:got]

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle:
            self._libs.swr.swr_free(ctypes.byref(handle))
