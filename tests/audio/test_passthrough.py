"""Opus 48 kHz sources go out as their own packets while volume is 100 and no filter is set."""

from __future__ import annotations

from lavalink_py.audio import AudioEngine, Playback, RecordingSink
from lavalink_py.audio.filters import FilterPlan, NumpyStep
from lavalink_py.audio.results import Pcm
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media, play_to_end
from tests.audio.media import decode_opus, opus_packets, rms, sweep_snr_db


def passthrough(playback: Playback) -> bool:
    # A call, so mypy does not carry narrowing of the property across awaits.
    return playback.passthrough


class Invert:
    """A filter that flips polarity: trivial, but it proves the hook runs on every block."""

    def __init__(self) -> None:
        self.blocks = 0

    def process(self, block: Pcm) -> Pcm:
        self.blocks += 1
        return -block


async def test_frames_are_the_source_packets(engine: AudioEngine, media: Media) -> None:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(media.ogg)))
    await engine.pump(1)
    assert passthrough(playback)
    await play_to_end(engine, events)
    assert sink.frames == opus_packets(media.ogg)
    assert events.log == ["start", "end:finished"]


async def test_volume_switches_to_encoding_and_back(engine: AudioEngine, media: Media) -> None:
    packets = opus_packets(media.ogg)
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(media.ogg)))
    await engine.pump(30)
    assert sink.frames == packets[:30]

    playback.set_volume(50)
    await engine.pump(40)
    assert not passthrough(playback)
    assert len(sink.frames) == 70  # no tick went without a frame across the switch
    assert all(frame not in packets for frame in sink.frames[32:70])

    playback.set_volume(100)
    await engine.pump(30)
    assert passthrough(playback)
    # Back on the source's packets, continuing from the position reached: the last frames are the source's own.
    back = next(i for i in range(70, 100) if sink.frames[i] in packets)
    assert back <= 72
    start = packets.index(sink.frames[back])
    assert abs(start - back) <= 1
    assert sink.frames[back:] == packets[start : start + 100 - back]
    assert playback.frames_nulled == 0

    # The encoded stretch is the sweep at half level.
    pcm = decode_opus(sink.frames)[:, 0]
    mid = pcm[48 * 20 * 40 : 48 * 20 * 65]
    assert 0.4 < rms(mid) / rms(pcm[48 * 20 * 2 : 48 * 20 * 28]) < 0.6


async def test_filter_forces_encoding_and_runs(engine: AudioEngine, media: Media) -> None:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    invert = Invert()
    playback.set_filters(FilterPlan((NumpyStep(lambda: invert),)))
    playback.start(StreamSpec(str(media.ogg)))
    await play_to_end(engine, events)
    assert invert.blocks > 0
    assert not any(frame in set(opus_packets(media.ogg)) for frame in sink.frames[1:])
    pcm = decode_opus(sink.frames)[:, 0]
    assert sweep_snr_db(-pcm) >= 20  # two Opus generations (source + ours)
    assert sweep_snr_db(pcm) < 0
