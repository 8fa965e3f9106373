"""Player volume follows lavaplayer's PcmVolumeProcessor: its curve, its integer arithmetic and its clamp."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest

from lavalink_py.audio import AudioEngine, RecordingSink
from lavalink_py.audio.volume import apply_volume, volume_gain_db, volume_multiplier
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, play_to_end
from tests.audio.media import decode_opus, rms

CURVE = (0, 50, 100, 150, 200, 500, 1000)
QUIET = 0.02  # -34 dBFS peak: even volume 1000 (+24.3 dB) stays below full scale


def lavaplayer_gain_db(volume: int) -> float:
    """The curve as lavaplayer states it (tan below 150, linear above), in plain double precision."""
    if volume == 100:
        return 0.0
    multiplier = math.tan(volume * 0.0079) if volume <= 150 else 2.4621 * volume / 150
    return 20 * math.log10(multiplier)


@pytest.mark.parametrize(
    ("volume", "multiplier"),
    [(0, 0), (1, 79), (50, 4169), (99, 9934), (100, 10000), (101, 10253), (150, 24621), (151, 24785),
     (200, 32828), (500, 82070), (1000, 164140)],
)
def test_fixed_point_multiplier_is_lavaplayers(volume: int, multiplier: int) -> None:
    # Java: (int) ((float) Math.tan(volume * 0.0079f) * 10000) up to 150, 24621 * volume / 150 above.
    assert volume_multiplier(volume) == multiplier


def test_samples_are_scaled_truncated_towards_zero_and_clamped() -> None:
    block = np.array([[20000, -20000], [100, -100], [-3, 3]], dtype=np.int16)
    assert apply_volume(block, 100) is block
    # 100 * 0.4169 = 41.69 -> 41 and -3 * 0.4169 = -1.25 -> -1 (Java's int division), not floor's -2.
    assert apply_volume(block, 50).tolist() == [[8338, -8338], [41, -41], [-1, 1]]
    assert apply_volume(block, 200).tolist() == [[32767, -32768], [328, -328], [-9, 9]]
    assert not apply_volume(block, 0).any()
    # Java's 32-bit product would wrap here (32767 * 164140 > 2^31); ours clips.
    loud = np.array([32767, -32768], dtype=np.int16)
    assert apply_volume(loud, 1000).tolist() == [32767, -32768]


@pytest.mark.parametrize("volume", [-1, 1001])
def test_out_of_range_volume_is_refused(volume: int) -> None:
    with pytest.raises(ValueError, match=r"volume must be 0\.\.1000"):
        volume_multiplier(volume)


@pytest.fixture(scope="module")
def quiet_tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("volume") / "tone.flac"
    t = np.arange(3 * 48_000) / 48_000
    mono = (QUIET * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=48_000, layout="stereo")
        assert isinstance(stream, av.AudioStream)
        for start in range(0, len(mono), 1024):
            chunk = mono[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]).T.reshape(1, -1).copy(), "s16", "stereo")
            frame.sample_rate = 48_000
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


async def level_at(engine: AudioEngine, path: Path, volume: int) -> float:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.set_volume(volume)
    playback.start(StreamSpec(str(path)))
    await play_to_end(engine, events)
    engine.remove_playback(playback)
    pcm = decode_opus(sink.frames)[:, 0]
    return rms(pcm[12_000:-12_000])  # away from the codec's start and the end


async def test_decoded_level_follows_the_curve(engine: AudioEngine, quiet_tone: Path) -> None:
    unity = await level_at(engine, quiet_tone, 100)
    assert unity == pytest.approx(QUIET / math.sqrt(2), rel=0.02)
    for volume in CURVE:
        level = await level_at(engine, quiet_tone, volume)
        if volume == 0:
            assert level < 1e-5
            continue
        measured_db = 20 * math.log10(level / unity)
        assert measured_db == pytest.approx(lavaplayer_gain_db(volume), abs=0.2), volume
        assert measured_db == pytest.approx(volume_gain_db(volume), abs=0.2), volume
