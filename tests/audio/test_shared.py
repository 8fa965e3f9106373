"""Players of one live stream share its decode and encode (audio/shared.py): a local endless radio (no length,
chunked, counting its connections) heard by several playbacks of one engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.audio import AudioEngine, EngineSettings, Playback, RecordingSink
from lavalink_py.sources.base import StreamSpec
from tests.audio.conftest import Events, Media
from tests.audio.media import decode_opus, rms

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


@dataclass
class Radio:
    server: TestServer
    connections: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def engine(radio: Radio) -> AsyncIterator[AudioEngine]:
    # Torn down before the radio: its endless responses end when the engine has closed its connections.
    eng = AudioEngine(EngineSettings(stuck_threshold_ms=400, share_live_streams=True))
    yield eng
    for playback in list(eng.playbacks):
        eng.remove_playback(playback)
    await eng.close()
    for _ in range(500):
        if eng.shares is None or not len(eng.shares):
            break
        await asyncio.sleep(0.01)  # the last tap's close runs on the io pool


@pytest.fixture
async def radio(aiohttp_server: ServerFactory, media: Media) -> AsyncIterator[Radio]:
    data = media.mp3.read_bytes()
    counted: dict[str, int] = {}

    async def endless(request: web.Request) -> web.StreamResponse:
        counted["endless"] = counted.get("endless", 0) + 1
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        while True:  # the sweep again and again, as fast as the reader takes it (never an end)
            for i in range(0, len(data), 4096):
                await response.write(data[i : i + 4096])

    async def dying(request: web.Request) -> web.StreamResponse:
        counted["dying"] = counted.get("dying", 0) + 1
        if counted["dying"] > 1:
            raise web.HTTPServiceUnavailable()  # FFmpeg's reconnect finds the station gone
        response = web.StreamResponse(headers={"Content-Type": "audio/mpeg"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for i in range(0, len(data) // 2, 4096):
            await response.write(data[i : i + 4096])
        assert request.transport is not None
        request.transport.abort()
        return response

    app = web.Application()
    app.router.add_get("/endless", endless)
    app.router.add_get("/dying", dying)
    yield Radio(await aiohttp_server(app), counted)


def listening(engine: AudioEngine, url: str, count: int) -> list[tuple[Playback, RecordingSink, Events]]:
    """`count` listeners, each playing the live stream at `url`."""
    players = listeners(engine, count)
    for playback, _, _ in players:
        playback.start(StreamSpec(url, is_live=True))
    return players


def listeners(engine: AudioEngine, count: int) -> list[tuple[Playback, RecordingSink, Events]]:
    out = []
    for _ in range(count):
        events = Events()
        playback = engine.create_playback(events)
        sink = RecordingSink()
        playback.attach(sink)
        out.append((playback, sink, events))
    return out


async def test_players_of_one_radio_share_one_connection_and_hear_the_same_frames(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(100)
    assert radio.connections == {"endless": 1}
    assert engine.shares is not None and len(engine.shares) == 1
    first = players[0][1].frames
    assert len(first) == 100
    for playback, sink, events in players:
        assert sink.frames == first  # the same encoded frames, each sent by its own sink
        assert events.log == ["start"]
        assert playback.position_ms == 2000
        assert playback.frames_nulled == 0
    assert rms(decode_opus(first)) > 0.1  # decoded, not silence


async def test_a_late_player_joins_at_the_live_edge_with_its_own_position(engine: AudioEngine, radio: Radio) -> None:
    (a, sink_a, _), (b, sink_b, events_b) = listeners(engine, 2)
    a.start(StreamSpec(radio.url("/endless"), is_live=True))
    b.attach(sink_b)
    await engine.pump(50)
    b.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(50)
    assert radio.connections == {"endless": 1}
    # b hears what a hears from b's join on, in step with it.
    assert 40 <= len(sink_b.frames) <= 50
    assert sink_b.frames == sink_a.frames[-len(sink_b.frames) :]
    assert b.position_ms == len(sink_b.frames) * 20
    assert a.position_ms == 2000
    assert events_b.log == ["start"]


async def test_a_volume_change_moves_one_player_out_without_touching_the_others(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(50)
    moved, moved_sink, moved_events = players[2]
    moved.set_volume(50)
    await engine.pump(100)
    # Its own stream now (a new share of its settings); the other two stay on the first, frame for frame.
    assert radio.connections == {"endless": 2}
    assert engine.shares is not None and len(engine.shares) == 2
    assert players[0][1].frames == players[1][1].frames
    assert len(players[0][1].frames) == 150
    assert len(moved_sink.frames) == 150  # no gap: the old share sounded until the new one had frames
    assert moved.frames_nulled == 0
    assert moved.position_ms == 3000
    assert moved_events.log == ["start"]  # the same track going on
    assert moved_sink.frames[:50] == players[0][1].frames[:50]
    assert moved_sink.frames[-20:] != players[0][1].frames[-20:]
    for playback, _, events in players[:2]:
        assert playback.volume == 100 and events.log == ["start"]


async def test_one_player_stopping_leaves_the_others_playing_and_the_last_closes_the_source(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(30)
    players[1][0].stop()
    engine.remove_playback(players[2][0])  # a destroyed player
    await engine.pump(60)
    assert len(players[0][1].frames) == 90
    assert players[0][0].frames_nulled == 0
    assert len(players[1][1].frames) == 30
    assert engine.shares is not None and len(engine.shares) == 1
    players[0][0].stop()
    for _ in range(200):
        if not len(engine.shares):
            break
        await asyncio.sleep(0.01)  # the close runs on the io pool
    assert len(engine.shares) == 0
    assert radio.connections == {"endless": 1}


async def test_the_source_dying_ends_every_player_with_its_own_events(engine: AudioEngine, radio: Radio) -> None:
    players = listening(engine, radio.url("/dying"), 3)
    for _ in range(600):
        if all(any(e.startswith("end:") for e in events.log) for _, _, events in players):
            break
        await engine.pump(1)
    logs = [events.log for _, _, events in players]
    assert logs[0][0] == "start" and logs[0][-1].startswith("end:")
    assert logs == [logs[0]] * 3
    assert [sink.frames for _, sink, _ in players[1:]] == [players[0][1].frames] * 2
    assert engine.shares is not None and len(engine.shares) == 0


async def test_a_source_that_fails_reaches_every_player_as_its_own_exception_and_end(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/gone"), 3)
    for _ in range(600):
        if all(any(e.startswith("end:") for e in events.log) for _, _, events in players):
            break
        await engine.pump(1)
    for _, _, events in players:
        assert events.log == ["exception:common", "end:loadFailed"]
        assert events.failures == players[0][2].failures  # the share's one failure, reported by each player
    assert engine.shares is not None and len(engine.shares) == 0


async def test_a_lone_players_volume_change_is_made_in_place_as_on_an_unshared_stream(
    engine: AudioEngine, radio: Radio
) -> None:
    (alone, sink, events), (later, later_sink, _), (other, _, _) = listeners(engine, 3)
    alone.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(50)
    alone.set_volume(30)
    for _ in range(600):  # the restyle job runs on the cpu pool beside the ticks
        if alone.rewinds:
            break
        await engine.pump(1)
    await engine.pump(60)
    # No new connection and no gap: the share's own stream made its buffered frames again at the new volume.
    assert radio.connections == {"endless": 1}
    [rewind] = alone.rewinds
    assert rewind.serial is not None
    assert alone.frames_nulled == 0
    # Source time, as an unshared live stream reports it: the rewind's new encoder has no look-ahead lag (6.5 ms).
    assert abs(alone.position_ms - len(sink.frames) * 20) <= 20
    assert events.log == ["start"]
    heard = decode_opus(sink.frames)
    cut = rewind.serial * 960
    assert rms(heard[cut + 960 :]) < 0.5 * rms(heard[: cut - 960])  # 30 % volume: about 10 dB down
    # Listed under its new settings: a later player of volume 30 shares it, one of volume 100 opens its own.
    later.set_volume(30)
    later.start(StreamSpec(radio.url("/endless"), is_live=True))
    other.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(40)
    assert radio.connections == {"endless": 2}
    assert engine.shares is not None and len(engine.shares) == 2
    assert later_sink.frames == sink.frames[-len(later_sink.frames) :]


async def test_a_player_leaving_by_volume_leaves_the_other_listeners_frames_in_sequence(
    engine: AudioEngine, radio: Radio
) -> None:
    (stays, stays_sink, stays_events), (moves, moves_sink, moves_events) = listeners(engine, 2)
    stays.start(StreamSpec(radio.url("/endless"), is_live=True))
    moves.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(40)
    assert engine.shares is not None and len(engine.shares) == 1
    moves.set_volume(50)
    await engine.pump(120)
    assert radio.connections == {"endless": 2}  # the mover has its own stream now
    # The one left behind: one frame every tick, none missing, none twice, and no change of its stream.
    assert len(stays_sink.frames) == 160
    assert stays.frames_nulled == 0 and stays.rewinds == [] and stays.volume == 100
    assert stays_events.log == ["start"]
    assert stays.position_ms == 3200
    assert moves_sink.frames[:40] == stays_sink.frames[:40]
    assert len(moves_sink.frames) == 160 and moves.frames_nulled == 0  # the old share sounded until the new had one
    assert moves_events.log == ["start"]
    assert moves.position_ms == 3200
    # Alone on the share now, the stayer's frames are the share's, in order: a player joining hears them from its
    # join on, in step, on the same connection.
    late, late_sink, _ = listeners(engine, 1)[0]
    late.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(30)
    assert late_sink.frames == stays_sink.frames[-len(late_sink.frames) :]
    assert len(late_sink.frames) >= 20
    assert radio.connections == {"endless": 2}


async def test_frames_a_paused_player_of_a_share_misses_are_counted_on_the_registry(
    engine: AudioEngine, radio: Radio
) -> None:
    (a, _, _), (b, _, _) = listeners(engine, 2)
    a.start(StreamSpec(radio.url("/endless"), is_live=True))
    b.start(StreamSpec(radio.url("/endless"), is_live=True))
    await engine.pump(20)
    b.pause()  # a keeps the share producing; b's tap fills and its oldest live frames go
    assert engine.shares is not None
    for _ in range(60):  # bounded: up to 60 x 100 frames of the endless radio
        await engine.pump(100)
        if engine.shares.frames_dropped:
            break
    dropped = engine.shares.frames_dropped
    assert dropped > 0
    b.stop()  # a closed tap's drops stay counted (lavalink_shared_stream_frames_dropped_total)
    await engine.pump(5)
    assert engine.shares.frames_dropped >= dropped


async def test_players_in_step_are_ticked_as_one_group_each_with_its_own_counts(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 4)
    await engine.pump(60)
    assert len(engine.clock) == 1  # the share's group ticks in its four players' place
    assert engine.clock.sent == 4 * 60 and engine.clock.nulled == 0
    first = players[0][1].frames
    assert len(first) == 60
    for playback, sink, events in players:
        assert sink.frames == first
        assert playback.frames_sent == 60 and playback.frames_nulled == 0
        assert playback.position_ms == 1200
        assert events.log == ["start"]
    players[3][0].stop()  # handed back: its counts stand where the group left them
    await engine.pump(10)
    assert players[3][0].frames_sent == 60 and len(players[3][1].frames) == 60
    assert [p.frames_sent for p, _, _ in players[:3]] == [70] * 3


async def test_a_paused_member_stands_still_while_the_others_play_on_then_plays_on_from_there(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(30)
    paused, paused_sink, paused_events = players[1]
    paused.pause()
    await engine.pump(30)
    assert len(paused_sink.frames) == 30 and paused.position_ms == 600
    assert players[0][1].frames == players[2][1].frames and len(players[0][1].frames) == 60
    paused.resume()
    await engine.pump(30)
    # It goes on from the frame it stopped at (30 behind the others now), none missing, none twice.
    assert paused_sink.frames == players[0][1].frames[:60]
    assert paused.position_ms == 1200 and paused.frames_sent == 60
    for playback, sink, _ in (players[0], players[2]):
        assert len(sink.frames) == 90 and playback.position_ms == 1800 and playback.frames_nulled == 0
    assert paused.frames_nulled == 0 and paused_events.log == ["start"]


async def test_a_member_whose_voice_is_not_ready_keeps_its_frames_and_the_others_do_not_wait(
    engine: AudioEngine, radio: Radio
) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(20)
    waiting, waiting_sink, _ = players[2]
    waiting_sink.ready = False  # voice reconnecting
    await engine.pump(20)
    assert len(waiting_sink.frames) == 20 and waiting.position_ms == 400
    assert players[0][1].frames == players[1][1].frames and len(players[0][1].frames) == 40
    waiting_sink.ready = True
    await engine.pump(20)
    assert waiting_sink.frames == players[0][1].frames[:40]
    assert waiting.frames_sent == 40 and waiting.frames_nulled == 0
    assert [len(sink.frames) for _, sink, _ in players[:2]] == [60, 60]


async def test_ticks_the_clock_skips_are_lost_by_each_member_of_a_group(engine: AudioEngine, radio: Radio) -> None:
    players = listening(engine, radio.url("/endless"), 3)
    await engine.pump(20)
    assert len(engine.clock) == 1
    engine.clock._account_lateness(3.5 * engine.clock.tick_s)  # the loop woke 70 ms late: 3 ticks skipped
    await engine.pump(1)
    assert engine.clock.lost == 3 * 3
    for playback, _, _ in players:
        assert sum(playback.loss.counts.as_dict().values()) == 3
        assert playback.frames_sent == 21
