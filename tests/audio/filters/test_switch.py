"""Changing filters mid-track: no gap (no missing tick, no lost or repeated audio), and clearing them gives back the
unfiltered sound — the source's own Opus packets where it is Opus."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lavalink_py.audio import AudioEngine, Playback, RecordingSink
from lavalink_py.audio.filters import chain
from lavalink_py.protocol.filters import parse_filters
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media, play_to_end
from tests.audio.filters.render import RATE, Audio, tone, write_wav
from tests.audio.filters.test_measured import equalizer_response
from tests.audio.media import decode_opus, opus_packets
from tests.audio.test_passthrough import passthrough

HZ = 440.0


def set_filters(engine: AudioEngine, playback: Playback, filters: dict[str, Any]) -> None:
    playback.set_filters(engine.filters.plan(parse_filters(filters, engine.filters)))


def phases(signal: Audio, hz: float, window: int = 960) -> tuple[Audio, Audio]:
    """Per 20 ms window: the tone's phase (relative to t = 0) and amplitude."""
    n = len(signal) // window
    t = np.arange(n * window) / RATE
    basis = np.exp(-2j * np.pi * hz * t).reshape(n, window)
    z = np.mean(signal[: n * window].reshape(n, window) * basis, axis=1)
    return np.angle(z), 2 * np.abs(z)


async def test_filter_changes_keep_the_tone_continuous(engine: AudioEngine, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a440.wav", tone(HZ, 4.0))
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(path)))
    await engine.pump(40)
    set_filters(engine, playback, {"volume": 0.5})
    await engine.pump(40)
    set_filters(engine, playback, {"equalizer": [{"band": 6, "gain": 0.25}], "volume": 0.5})
    await engine.pump(40)
    set_filters(engine, playback, {})
    await play_to_end(engine, events)
    assert playback.frames_nulled == 0
    assert len(sink.frames) == 200  # 4 s: every tick had a frame, none was repeated or lost

    phase, level = phases(decode_opus(sink.frames)[:, 0], HZ)
    # The source's phase runs on unbroken through every switch: a lost or repeated 20 ms would move it 8.8 cycles.
    # Under the equalizer the tone is also shifted by the filter's own phase response at 440 Hz.
    gains = [0.25 if band == 6 else 0.0 for band in range(15)]
    eq_phase = np.angle(equalizer_response(gains, HZ))
    expected = np.zeros(200)
    expected[83:118] = eq_phase
    steady = np.r_[5:38, 43:78, 83:118, 123:195]
    drift = np.angle(np.exp(1j * (phase[steady] - phase[steady[0]] - expected[steady])))
    assert np.max(np.abs(drift)) < 0.1
    # Each segment sounds as it should: 0.3, then lavadsp's volume 0.5 (x0.417), ..., then 0.3 again.
    assert abs(np.median(level[5:38]) - 0.3) < 0.01
    assert abs(np.median(level[43:78]) - 0.3 * np.tan(0.5 * 0.79)) < 0.01
    assert abs(np.median(level[123:195]) - 0.3) < 0.01


async def test_timescale_switch_keeps_the_source_position(engine: AudioEngine, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(HZ, 8.0))
    playback = engine.create_playback(Events())
    playback.attach(RecordingSink())
    playback.start(StreamSpec(str(path)))
    await engine.pump(50)
    assert playback.position_ms == 1000
    set_filters(engine, playback, {"timescale": {"speed": 2.0}})
    await engine.pump(50)  # 1 s of output is 2 s of the source
    assert abs(playback.position_ms - 3000) <= 60
    set_filters(engine, playback, {})
    await engine.pump(50)
    assert abs(playback.position_ms - 4000) <= 60


async def test_clearing_filters_returns_to_the_source_packets(engine: AudioEngine, media: Media) -> None:
    packets = opus_packets(media.ogg)
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(media.ogg)))
    await engine.pump(30)
    assert passthrough(playback)
    set_filters(engine, playback, {"timescale": {"pitch": 1.2}, "tremolo": {}})
    await engine.pump(40)
    assert not passthrough(playback)
    set_filters(engine, playback, {"timescale": {}, "equalizer": [{"band": 3, "gain": 0.0}]})  # all neutral
    await engine.pump(5)
    assert passthrough(playback)
    await play_to_end(engine, events)
    assert playback.frames_nulled == 0
    back = next(i for i in range(70, 80) if sink.frames[i] in packets)
    start = packets.index(sink.frames[back])
    assert sink.frames[back:] == packets[start:]


async def test_the_graph_is_built_once_per_stream(engine: AudioEngine, tmp_path: Path, monkeypatch: Any) -> None:
    built: list[list[tuple[str, str]]] = []

    class CountedGraphRun(chain.GraphRun):
        def __init__(self, filters: list[tuple[str, str]]) -> None:
            built.append(list(filters))
            super().__init__(filters)

    monkeypatch.setattr(chain, "GraphRun", CountedGraphRun)
    path = write_wav(tmp_path / "a440.wav", tone(HZ, 3.0))
    events = Events()
    playback = engine.create_playback(events)
    playback.attach(RecordingSink())
    playback.start(StreamSpec(str(path)))
    await engine.pump(5)
    filters = {"timescale": {"speed": 1.1}, "tremolo": {}, "lowPass": {}, "rotation": {"rotationHz": 1}}
    set_filters(engine, playback, filters)
    await play_to_end(engine, events)
    # One stream since the change: timescale + tremolo make one graph, lowPass (after the numpy rotation) another,
    # each built once for the stream, never per block.
    assert [[name for name, _ in filters] for filters in built] == [["atempo", "tremolo"], ["lowpass"]]


async def test_end_time_is_in_source_time_under_timescale(engine: AudioEngine, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(HZ, 6.0))
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    set_filters(engine, playback, {"timescale": {"speed": 2.0}})
    playback.start(StreamSpec(str(path)), 0, 3000)
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    # 3 s of the source at speed 2: 1.5 s sent (75 frames; the chain's tail may add one).
    assert 74 <= len(sink.frames) <= 77


async def test_a_live_stream_takes_new_filters_in_place(engine: AudioEngine, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "live.wav", tone(HZ, 4.0))
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    playback.start(StreamSpec(str(path), is_live=True))
    await engine.pump(20)
    set_filters(engine, playback, {"volume": 0.5})
    await play_to_end(engine, events)
    assert playback.frames_nulled == 0
    assert len(sink.frames) == 200  # nothing restarted: the stream went on from where it was
    _, level = phases(decode_opus(sink.frames)[:, 0], HZ)
    # Applied from the next batch the stream produces (frames already in the buffer play as they were).
    assert abs(np.median(level[-40:-5]) - 0.3 * np.tan(0.5 * 0.79)) < 0.01


async def test_filters_set_right_after_a_seek_keep_the_seek(engine: AudioEngine, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", tone(HZ, 6.0))
    playback = engine.create_playback(Events())
    playback.start(StreamSpec(str(path)))
    await engine.pump(5)  # no sink: nothing is consumed, the position stands
    playback.seek(1000)
    set_filters(engine, playback, {"timescale": {"speed": 1.1}})
    assert playback.position_ms == 1000
    playback.attach(RecordingSink())
    await engine.pump(50)
    assert abs(playback.position_ms - (1000 + 50 * 22)) <= 60
