"""Real media files for the source tests, encoded with PyAV (a 440 Hz tone)."""

from __future__ import annotations

import io
import math
from array import array
from dataclasses import dataclass

import av


@dataclass(frozen=True, slots=True)
class Kind:
    container: str  # FFmpeg muxer name
    codec: str
    sample_rate: int
    sample_format: str  # what the encoder takes, planar or packed


MP3 = Kind("mp3", "libmp3lame", 44100, "s16p")
OGG_OPUS = Kind("ogg", "libopus", 48000, "s16")
FLAC = Kind("flac", "flac", 44100, "s16")
WAV = Kind("wav", "pcm_s16le", 44100, "s16")
M4A_AAC = Kind("ipod", "aac", 44100, "fltp")
WEBM_OPUS = Kind("webm", "libopus", 48000, "s16")
ADTS_AAC = Kind("adts", "aac", 44100, "fltp")
MPEGTS_AAC = Kind("mpegts", "aac", 44100, "fltp")


def _tone(kind: Kind, samples: int, offset: int) -> av.AudioFrame:
    wave = [math.sin(2 * math.pi * 440 * (i + offset) / kind.sample_rate) * 0.3 for i in range(samples)]
    frame = av.AudioFrame(format=kind.sample_format, layout="stereo", samples=samples)
    if kind.sample_format == "fltp":
        channel = array("f", wave).tobytes()
        planes = [channel, channel]
    else:
        ints = array("h", (int(x * 32767) for x in wave))
        planes = [ints.tobytes()] * 2 if kind.sample_format == "s16p" else [array("h", _interleave(ints)).tobytes()]
    for plane, data in zip(frame.planes, planes, strict=True):
        plane.update(data)
    frame.sample_rate = kind.sample_rate
    frame.pts = offset
    return frame


def _interleave(mono: array[int]) -> list[int]:
    return [sample for value in mono for sample in (value, value)]


def encode(kind: Kind, seconds: float = 2.0, metadata: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=kind.container) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream(kind.codec, rate=kind.sample_rate, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        total = int(seconds * kind.sample_rate)
        chunk = 960 if kind.sample_rate == 48000 else 1152
        for start in range(0, total, chunk):
            for packet in stream.encode(_tone(kind, min(chunk, total - start), start)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()
