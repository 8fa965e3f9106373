"""A short Opus-in-WebM tone, made with PyAV, for yt-dlp to find and for PyAV to open again."""

from __future__ import annotations

import io
import math
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 48_000


def opus_webm_tone(seconds: float = 1.0, frequency_hz: float = 440.0) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE, layout="stereo")
        frame_samples = 960
        total = int(seconds * SAMPLE_RATE)
        for start in range(0, total, frame_samples):
            t = (np.arange(start, start + frame_samples) / SAMPLE_RATE).astype(np.float32)
            mono = (0.3 * np.sin(2 * math.pi * frequency_hz * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.stack([mono, mono]).reshape(1, -1), format="flt", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = start
            frame.time_base = Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def aac_hls_tone(directory: Path, seconds: float = 3.0, frequency_hz: float = 440.0) -> dict[str, bytes]:
    """HLS as a live channel serves it: the playlist (without EXT-X-ENDLIST) and its MPEG-TS segments."""
    playlist = directory / "index.m3u8"
    options = {"hls_time": "1", "hls_list_size": "0", "hls_segment_type": "mpegts"}
    with av.open(str(playlist), mode="w", format="hls", options=options) as container:
        stream = container.add_stream("aac", rate=SAMPLE_RATE, layout="stereo")
        frame_samples = 1024
        for start in range(0, int(seconds * SAMPLE_RATE), frame_samples):
            t = (np.arange(start, start + frame_samples) / SAMPLE_RATE).astype(np.float32)
            mono = (0.3 * np.sin(2 * math.pi * frequency_hz * t)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(np.stack([mono, mono]), format="fltp", layout="stereo")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = start
            frame.time_base = Fraction(1, SAMPLE_RATE)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    files = {path.name: path.read_bytes() for path in directory.iterdir()}
    files["index.m3u8"] = files["index.m3u8"].replace(b"#EXT-X-ENDLIST\n", b"")
    return files
