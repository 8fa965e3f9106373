"""Media files the tests make for themselves with PyAV: tones and sweeps in every container Lavalink plays."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

import av
import numpy as np
import numpy.typing as npt
from aiohttp import web

# container format -> (codec, sample rate)
FORMATS: Final[dict[str, tuple[str, int]]] = {
    "mp3": ("libmp3lame", 44100),
    "flac": ("flac", 44100),
    "wav": ("pcm_s16le", 44100),
    "m4a": ("aac", 44100),
    "ogg": ("libopus", 48000),
    "webm": ("libopus", 48000),
}
_MUXERS: Final = {"m4a": "ipod"}


def sweep(seconds: float, rate: int, start_hz: float = 220.0, end_hz: float = 3520.0) -> npt.NDArray[np.float32]:
    """A logarithmic sine sweep at half scale, stereo, shaped (2, samples)."""
    t = np.arange(int(seconds * rate)) / rate
    k = np.log(end_hz / start_hz) / seconds
    phase = 2 * np.pi * start_hz * (np.exp(k * t) - 1) / k
    mono = (0.5 * np.sin(phase)).astype(np.float32)
    return np.stack([mono, mono])


def write_audio(
    path: Path,
    seconds: float = 2.0,
    *,
    title: str | None = None,
    artist: str | None = None,
    samples: npt.NDArray[np.float32] | None = None,
    rate: int | None = None,
) -> Path:
    """Write a sweep (or `samples`, shaped (2, n)) to `path`; the container comes from the file's extension."""
    extension = path.suffix.lstrip(".")
    codec, default_rate = FORMATS[extension]
    rate = rate or default_rate
    audio = sweep(seconds, rate) if samples is None else samples
    with av.open(str(path), "w", format=_MUXERS.get(extension, extension)) as container:
        if title is not None:
            container.metadata["title"] = title
        if artist is not None:
            container.metadata["artist"] = artist
        stream = container.add_stream(codec, rate=rate, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        frame_size = 960 if codec == "libopus" else 1152
        for start in range(0, audio.shape[1], frame_size):
            chunk = np.ascontiguousarray(audio[:, start : start + frame_size])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@contextlib.asynccontextmanager
async def serve_directory(root: Path) -> AsyncIterator[str]:
    """Serve `root` over HTTP on 127.0.0.1; yields the base URL its files are under."""
    app = web.Application()
    app.router.add_static("/media", root)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/media"
    finally:
        await runner.cleanup()


def make_hls(source: Path, out_dir: Path, rate: int = 48_000) -> Path:
    """`source` as an HLS VOD playlist of 1 s MPEG-TS segments (AAC), written by FFmpeg's hls muxer."""
    out_dir.mkdir()
    playlist = out_dir / "index.m3u8"
    options = {"hls_time": "1", "hls_list_size": "0", "hls_playlist_type": "vod"}
    with av.open(str(source)) as src, av.open(str(playlist), "w", format="hls", options=options) as dst:
        stream = dst.add_stream("aac", rate=rate, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        stream.bit_rate = 256_000
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return playlist
