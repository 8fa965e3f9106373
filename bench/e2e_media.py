"""Sources for the end-to-end bench, written once with PyAV: a tone sweep as MP3 44.1 kHz (the transcoding
workload) and as Ogg/Opus 48 kHz (passthrough: the node sends the file's own packets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np

WORKLOADS = {"transcode": ("mp3", "libmp3lame", 44_100), "passthrough": ("ogg", "libopus", 48_000)}


def source_path(directory: Path, workload: str, seconds: float) -> Path:
    extension = WORKLOADS[workload][0]
    return directory / f"e2e-{workload}-{int(seconds)}s.{extension}"


def write_source(directory: Path, workload: str, seconds: float) -> Path:
    """The workload's file, `seconds` long; kept between runs (same name, same content)."""
    path = source_path(directory, workload, seconds)
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    _, codec, rate = WORKLOADS[workload]
    partial = path.with_suffix(".part" + path.suffix)
    with av.open(str(partial), "w") as out:
        stream: Any = out.add_stream(codec, rate=rate, layout="stereo")
        stream.bit_rate = 128_000
        block = rate  # a second at a time keeps memory flat
        for start in range(0, int(seconds * rate), block):
            t = (start + np.arange(block)) / rate
            mono = 0.3 * np.sin(2 * np.pi * (220 * t + 1500 * t * t / (2 * seconds)))
            pcm = (np.stack([mono, 0.8 * mono], axis=1) * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    partial.rename(path)  # a run killed mid-write leaves no half file under the real name
    return path


def floor_cpu_pct(path: Path, seconds: float = 10.0, complexity: int = 10, bitrate: int = 128_000) -> float:
    """PyAV alone, one thread, no node: decode -> resample to 48 kHz stereo s16 -> libopus (the node's settings);
    CPU % of a core per real-time stream."""
    import time

    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000, frame_size=960)
    encoder: Any = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format, encoder.bit_rate = 48_000, "stereo", "s16", bitrate
    encoder.options = {"compression_level": str(complexity), "frame_duration": "20", "application": "audio"}
    encoder.open()
    frames = 0
    started = time.process_time()
    with av.open(str(path)) as container:
        for decoded in container.decode(audio=0):
            for chunk in resampler.resample(decoded):
                frames += len(encoder.encode(chunk))
            if frames * 0.02 >= seconds:
                break
    return (time.process_time() - started) / (frames * 0.02) * 100


if __name__ == "__main__":
    import sys

    print(f"floor: {floor_cpu_pct(Path(sys.argv[1])):.3f} % of a core per stream")
