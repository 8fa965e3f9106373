"""Small pure parts: frame buffer bounds, Opus TOC durations, settings validation."""

from __future__ import annotations

import pytest

from lavalink_py.audio import EngineSettings, FrameBuffer
from lavalink_py.audio.frames import frames_for_ms
from lavalink_py.audio.opus_toc import opus_packet_samples
from lavalink_py.audio.pcm import apply_gain
from lavalink_py.audio.results import Pcm


def test_buffer_is_fifo_and_reports_free_space() -> None:
    buffer = FrameBuffer(3)
    buffer.extend([b"a", b"b"])
    assert buffer.free() == 1
    assert [buffer.pop(), buffer.pop(), buffer.pop()] == [b"a", b"b", None]
    with pytest.raises(ValueError, match="capacity"):
        FrameBuffer(0)


def test_buffer_capacity_follows_frame_buffer_duration() -> None:
    assert EngineSettings(frame_buffer_ms=5000).buffer_frames == 250
    assert EngineSettings(frame_buffer_ms=30).buffer_frames == 2
    assert frames_for_ms(1) == 1
    with pytest.raises(ValueError, match="opus_quality"):
        EngineSettings(opus_quality=11)


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC, 0xFF, 0xFE]), 960),  # CELT FB 20 ms, one frame (our encoder's silence)
        (bytes([0xF8, 0xFF, 0xFE]), 960),
        (bytes([0xF9, 0x00]), 1920),  # two 20 ms frames
        (bytes([0xE0]), 120),  # CELT 2.5 ms
        (bytes([0x08]), 960),  # SILK NB 20 ms
        (bytes([0x18]), 2880),  # SILK NB 60 ms
        (bytes([0xFB, 0x03]), 2880),  # code 3: three 20 ms frames
        (bytes([0xFB]), 0),  # code 3 without its count byte
        (b"", 0),
    ],
)
def test_opus_packet_duration_from_toc(packet: bytes, samples: int) -> None:
    assert opus_packet_samples(packet) == samples


def test_gain_clips_instead_of_wrapping() -> None:
    import numpy as np

    block = np.array([[20000, -20000], [100, -100]], dtype=np.int16)
    assert apply_gain(block, 100, None) is block
    # lavaplayer's curve: 200 -> x3.2828, 50 -> x0.4169 (see test_volume.py).
    assert apply_gain(block, 200, None).tolist() == [[32767, -32768], [328, -328]]
    assert apply_gain(block, 50, None).tolist() == [[8338, -8338], [41, -41]]

    class Half:
        def process(self, pcm: Pcm) -> Pcm:
            return pcm * np.float32(0.5)

    # The filter runs first, then the volume (400 -> x6.5656): 50 * 6.5656 = 328.28.
    assert apply_gain(block, 400, Half()).tolist() == [[32767, -32768], [328, -328]]


@pytest.mark.parametrize("native", [True, False])
def test_both_opus_encoders_make_decodable_20ms_frames(monkeypatch: pytest.MonkeyPatch, native: bool) -> None:
    import numpy as np

    from lavalink_py.audio import libopus
    from lavalink_py.audio.pcm import OpusEncoder
    from tests.audio.media import decode_opus, sweep, sweep_snr_db

    if native:
        assert libopus.LIB is not None  # the bundled libopus is what the engine uses here
    else:
        monkeypatch.setattr(libopus, "LIB", None)
    mono = (sweep(1.0, 48_000) * 32767).astype(np.int16)
    block = np.ascontiguousarray(np.stack([mono, mono], axis=1))
    frames = OpusEncoder(10, 128_000).encode(block)
    assert len(frames) == 50
    assert all(opus_packet_samples(frame) == 960 for frame in frames)
    assert sweep_snr_db(decode_opus(frames)[:, 0]) >= 25
