"""The transcoding hot path against what it replaced, byte for byte: libswresample through ctypes (swr.py) against
PyAV's aresample graph, and the encoder's batch call against one call per frame; then a whole stream's frames
with either resampler."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from lavalink_py.audio import EngineSettings, libopus, swr
from lavalink_py.audio.pcm import GraphResampler, Int16Pcm, Resampler
from lavalink_py.audio.pipeline import TrackStream
from lavalink_py.audio.settings import ResamplingQuality
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Media
from tests.audio.media import sweep, write_media


def resampled(path: Path, resampler: GraphResampler | Resampler) -> Int16Pcm:
    chunks: list[Int16Pcm] = []
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.audio[0]):
            chunks += resampler.resample(frame)
    return np.concatenate(chunks)


def write_mono(path: Path, rate: int) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        data = (sweep(1.0, rate) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


@pytest.mark.parametrize("quality", list(ResamplingQuality))
def test_swr_gives_the_graphs_samples(media: Media, tmp_path: Path, quality: ResamplingQuality) -> None:
    assert swr.LIBS is not None  # the libswresample PyAV bundles is what the engine uses here
    sources = [
        media.mp3,  # fltp 44.1 kHz
        media.m4a,
        media.flac,  # s16 44.1 kHz
        media.ogg,  # 48 kHz: format conversion only
        write_media(tmp_path / "low.mp3", "libmp3lame", 22_050, 1.0),
        write_mono(tmp_path / "mono.wav", 16_000),  # upmixed to stereo
    ]
    for source in sources:
        ours = Resampler(quality)
        got = resampled(source, ours)
        assert ours._swr is not None, source
        want = resampled(source, GraphResampler(quality))
        assert got.shape == want.shape and got.tobytes() == want.tobytes(), source.name


def test_a_format_change_mid_stream_gets_a_new_context(media: Media) -> None:
    ours = Resampler(ResamplingQuality.LOW)
    graph = GraphResampler(ResamplingQuality.LOW)
    for source in (media.mp3, media.ogg, media.mp3):
        with av.open(str(source)) as container:
            for frame in container.decode(container.streams.audio[0]):
                assert b"".join(c.tobytes() for c in ours.resample(frame)) == b"".join(
                    c.tobytes() for c in graph.resample(frame)
                )


def test_the_batch_encode_call_makes_the_packets_of_one_call_per_frame() -> None:
    assert libopus.LIB is not None
    pcm = np.ascontiguousarray((sweep(0.4, 48_000) * 32767).astype(np.int16).repeat(2).reshape(-1, 2))
    batch = libopus.CtypesOpusEncoder(libopus.LIB, 10, 128_000).encode_frames(pcm)
    single = libopus.CtypesOpusEncoder(libopus.LIB, 10, 128_000)
    one_by_one = [single.encode_frame(pcm.ctypes.data + i * libopus.FRAME_BYTES) for i in range(len(pcm) // 960)]
    assert len(batch) == 20 and batch == one_by_one


def stream_frames(path: Path, volume: int, start_ms: int = 0) -> list[bytes]:
    stream = TrackStream(
        StreamSpec(str(path)), start_ms=start_ms, end_ms=None, settings=EngineSettings(), volume=volume, filters=None
    )
    frames: list[bytes] = []
    while not stream.ended:
        stream.fill(50)
        frames += stream.buffer.take_all()
    assert stream.outcome is not None and stream.outcome.failure is None
    return frames


@pytest.mark.parametrize(("volume", "start_ms"), [(100, 0), (60, 0), (100, 1234)])
def test_a_streams_frames_are_those_of_the_graph_path(
    media: Media, monkeypatch: pytest.MonkeyPatch, volume: int, start_ms: int
) -> None:
    for source in (media.mp3, media.m4a, media.ogg):
        ours = stream_frames(source, volume if source != media.ogg else 60, start_ms)
        with monkeypatch.context() as patched:
            patched.setattr(swr, "LIBS", None)  # Resampler falls back to the graph
            graph = stream_frames(source, volume if source != media.ogg else 60, start_ms)
        assert len(ours) > 50 and ours == graph, source.name
