"""How fast the node reports a stalled or dead HTTP source, with Lavalink's default settings.

    python -m bench.source_failures

A local aiohttp server sends a 30 s FLAC; one run stalls it after 10 s of audio (reported: the last frame
sent -> TrackStuck, as lavaplayer measures trackStuckThresholdMs), the other closes the connection after 10 s
and refuses every retry (reported: the close -> TrackException and TrackEnd). Default settings: 5 s frame
buffer, trackStuckThresholdMs 10000.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from aiohttp import web

from lavalink_py.audio import AudioEngine, EngineSettings, RecordingSink
from lavalink_py.audio.results import EndReason, StreamFailure
from lavalink_py.sources.base import StreamSpec

SECONDS = 30.0


def write_flac(path: Path) -> Path:
    t = np.arange(int(44_100 * SECONDS)) / 44_100
    mono = (0.4 * np.sin(2 * np.pi * (200 * t + 20 * t * t))).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("flac", rate=44_100, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        for i in range(0, len(mono), 4096):
            frame = av.AudioFrame.from_ndarray(np.stack([mono[i : i + 4096]] * 2), format="fltp", layout="stereo")
            frame.sample_rate = 44_100
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


class Marks:
    def __init__(self, sink: RecordingSink) -> None:
        self.sink = sink
        self.at: dict[str, float] = {}
        self.last_frame_at = 0.0
        self.done = asyncio.Event()

    def _mark(self, name: str) -> None:
        self.at.setdefault(name, time.monotonic())

    def on_track_start(self) -> None:
        self._mark("start")

    def on_track_end(self, reason: EndReason) -> None:
        self._mark("end:" + reason.value)
        self.done.set()

    def on_track_exception(self, failure: StreamFailure) -> None:
        self._mark("exception")

    def on_track_stuck(self, threshold_ms: int) -> None:
        self._mark("stuck")
        self.done.set()


class TimedSink(RecordingSink):
    last_at = 0.0

    def send_frame(self, frame: bytes) -> None:
        super().send_frame(frame)
        self.last_at = time.monotonic()


async def run(data: bytes, mode: str) -> str:
    cut = len(data) // 3
    closed: list[float] = []
    release = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        if closed:
            request.transport.abort()
            return web.Response()
        response = web.StreamResponse(headers={"Content-Type": "audio/flac", "Accept-Ranges": "bytes"})
        response.content_length = len(data)
        await response.prepare(request)
        await response.write(data[:cut])
        if mode == "dead":
            closed.append(time.monotonic())
            request.transport.abort()
        else:
            await release.wait()
        return response

    app = web.Application()
    app.router.add_get("/track.flac", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    engine = AudioEngine(EngineSettings())
    engine.start()
    sink = TimedSink()
    marks = Marks(sink)
    playback = engine.create_playback(marks)
    playback.attach(sink)
    playback.start(StreamSpec(f"http://127.0.0.1:{runner.addresses[0][1]}/track.flac"))
    try:
        await asyncio.wait_for(marks.done.wait(), 120)
        origin = closed[0] if mode == "dead" else sink.last_at
        since = "the close" if mode == "dead" else "the last frame"
        events = ", ".join(f"{name} {at - origin:+.2f} s" for name, at in marks.at.items() if name != "start")
        return f"{mode} source, after {since}: {events} ({len(sink.frames) * 0.02:.1f} s of audio played)"
    finally:
        release.set()
        await engine.close()
        await runner.cleanup()


async def main() -> None:
    with tempfile.TemporaryDirectory() as root:
        path = write_flac(Path(root) / "track.flac")
        for mode in ("stall", "dead"):
            print(await run(path.read_bytes(), mode))


if __name__ == "__main__":
    asyncio.run(main())
