"""Seek, pause/resume, endTime and track changes: positions follow frames actually played, without gaps."""

from __future__ import annotations

from pathlib import Path

import pytest

from lavalink_py.audio import AudioEngine, Playback, RecordingSink
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media, play_to_end
from tests.audio.media import decode_opus, locate_s

CODEC_DELAY = 312  # libopus look-ahead, in 48 kHz samples, present in every decoded frame sequence
SAMPLES = 960


def content_at(frames: list[bytes], index: int) -> float:
    """Sweep time (s) that frame `index` of a continuously decoded sequence plays."""
    pcm = decode_opus(frames)[:, 0]
    start = index * SAMPLES + CODEC_DELAY + 4 * SAMPLES  # skip a few frames of any transition
    return locate_s(pcm[start : start + 10 * SAMPLES]) - 4 * SAMPLES / 48_000


def new_playback(engine: AudioEngine) -> tuple[Playback, RecordingSink, Events]:
    events = Events()
    playback = engine.create_playback(events)
    sink = RecordingSink()
    playback.attach(sink)
    return playback, sink, events


@pytest.mark.parametrize("fmt", ["flac", "mp3", "ogg", "wav"])
async def test_seek_lands_within_one_frame(engine: AudioEngine, media: Media, fmt: str) -> None:
    playback, sink, _ = new_playback(engine)
    playback.start(StreamSpec(str(getattr(media, fmt))))
    await engine.pump(25)
    playback.seek(1730)
    assert playback.position_ms == 1730
    await engine.pump(30)
    assert len(sink.frames) == 55  # no tick without a frame across the seek
    assert playback.position_ms == 1730 + 30 * 20
    assert content_at(sink.frames, 25) == pytest.approx(1.730, abs=0.020)
    assert playback.frames_nulled == 0


async def test_seek_backwards(engine: AudioEngine, media: Media) -> None:
    playback, sink, _ = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)), start_ms=2000)
    await engine.pump(20)
    assert content_at(sink.frames, 0) == pytest.approx(2.0, abs=0.020)
    playback.seek(300)
    await engine.pump(20)
    assert content_at(sink.frames, 20) == pytest.approx(0.3, abs=0.020)


async def test_pause_holds_position_and_resume_continues(engine: AudioEngine, media: Media) -> None:
    playback, sink, _ = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(20)
    playback.pause()
    assert sink.silences == 1
    await engine.pump(15)
    assert len(sink.frames) == 20
    assert playback.position_ms == 400
    playback.resume()
    await engine.pump(20)
    assert playback.position_ms == 800
    assert content_at(sink.frames, 20) == pytest.approx(0.4, abs=0.020)


async def test_no_sink_no_progress(engine: AudioEngine, media: Media) -> None:
    events = Events()
    playback = engine.create_playback(events)
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(10)
    assert playback.position_ms == 0
    assert events.log == []
    sink = RecordingSink()
    playback.attach(sink)
    await engine.pump(10)
    assert playback.position_ms == 200
    assert events.log == ["start"]
    playback.detach()
    await engine.pump(5)
    assert playback.position_ms == 200
    assert sink.silences == 1


async def test_track_change_has_no_gap(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)), start_ms=1500)
    await engine.pump(20)
    playback.start(StreamSpec(str(media.mp3)))
    assert playback.position_ms == 0
    await engine.pump(20)
    assert len(sink.frames) == 40
    assert events.log == ["start", "start"]
    assert content_at(sink.frames, 20) == pytest.approx(0.0, abs=0.020)
    assert playback.frames_nulled == 0


@pytest.mark.parametrize("fmt", ["flac", "ogg"])
async def test_end_time_stops_the_track(engine: AudioEngine, media: Media, fmt: str) -> None:
    playback, sink, events = new_playback(engine)
    path: Path = getattr(media, fmt)
    playback.start(StreamSpec(str(path)), start_ms=500, end_ms=1500)
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == 50
    assert sink.silences == 1


async def test_start_position(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.mp3)), start_ms=2400)
    await play_to_end(engine, events)
    assert len(sink.frames) == 30
    assert content_at(sink.frames[:20], 0) == pytest.approx(2.4, abs=0.020)


async def test_stop_silences_without_events(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(10)
    playback.stop()
    await engine.pump(5)
    assert len(sink.frames) == 10
    assert sink.silences == 1
    assert not playback.is_playing
    assert events.log == ["start"]  # the Player reports "stopped" itself


async def test_end_time_set_mid_track_cuts_there_without_a_reopen(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(25)
    playback.set_end_time(800)
    assert playback._pending is None  # applied in place: nothing to reopen
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == 40
    assert sink.silences == 1


async def test_end_time_already_passed_ends_on_the_next_tick(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(25)
    playback.set_end_time(300)
    await engine.pump(1)
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == 25


async def test_later_end_time_reopens_and_plays_on(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    playback.start(StreamSpec(str(media.flac)), end_ms=600)
    await engine.pump(20)
    playback.set_end_time(1200)
    await play_to_end(engine, events)
    assert events.log == ["start", "end:finished"]
    assert len(sink.frames) == 60
    assert content_at(sink.frames, 40) == pytest.approx(0.8, abs=0.020)


async def test_sink_not_ready_holds_frames_and_position(engine: AudioEngine, media: Media) -> None:
    playback, sink, events = new_playback(engine)
    sink.ready = False  # voice connecting, DAVE group forming
    playback.start(StreamSpec(str(media.flac)))
    await engine.pump(30)  # longer than the stuck threshold (400 ms)
    assert sink.frames == []
    assert playback.position_ms == 0
    assert events.log == []  # no start, no stuck: nothing is late, the listener just is not there yet
    sink.ready = True
    await engine.pump(20)
    assert playback.position_ms == 400
    assert content_at(sink.frames, 0) == pytest.approx(0.0, abs=0.020)  # heard from the first frame
    sink.ready = False  # a reconnect
    await engine.pump(10)
    assert playback.position_ms == 400
    sink.ready = True
    await engine.pump(20)
    assert len(sink.frames) == 40
    assert content_at(sink.frames, 20) == pytest.approx(0.4, abs=0.020)  # nothing skipped across it
    assert playback.frames_nulled == 0
