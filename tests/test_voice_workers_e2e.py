"""Voice worker processes end to end (issue 11: "workers keep every player's events, order and position").

Every scenario runs twice, in-process (`voiceWorkers: 0`) and with two worker processes (`voiceWorkers: 2`), with
the same expectations: what the client sees (events, their order, playerUpdate positions, the player's voice
state, /v4/stats) and what the listener of the fake Discord voice server hears (decrypted and decoded) does not
depend on where the voice connection runs. The player controls' helpers are those of tests/test_player_controls.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import multiprocessing.context
from pathlib import Path

import numpy as np
import pytest

from tests.audio.media import opus_packets, rms
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.node import USER_ID, NodeFactory, RunningNode, wait_until
from tests.test_player_controls import (  # noqa: F401 - fixtures and tests collected again here, with both nodes
    CHANNEL,
    FRAME,
    GUILD,
    LISTENER,
    Call,
    call,
    content_s,
    continuity_errors_ms,
    heard,
    media_dir,
    test_dave_listener_hears_the_track_from_its_first_sample,
    test_no_audio_lost_across_a_voice_reconnect_or_epoch_change,
    tracks,
    trust_test_ca,
)

TIMEOUT_S = 60.0


@pytest.fixture(params=[0, 2], ids=["in-process", "workers"])
async def node(make_node: NodeFactory, request: pytest.FixtureRequest) -> RunningNode:
    return await make_node({"lavalink": {"server": {"voiceWorkers": request.param}}})


def events_of(session: Call) -> list[tuple[str, str | None]]:
    return [(m["type"], m.get("reason")) for m in session.socket.seen if m["op"] == "event"]


async def caught_up(session: Call) -> int:
    """Frames the node sent so far, once the listener has them all (it decodes in Python, behind the node)."""
    sent = session.node_sent()
    await session.frames_reach(sent, TIMEOUT_S)
    return sent


async def quiet(session: Call) -> int:
    """After a pause or a stop: Speaking 0 reached the voice server and the listener has every frame sent."""
    await session.server.wait_for(lambda: session.server.speaking[-1:] == [0], TIMEOUT_S)
    return await caught_up(session)


async def test_every_control_is_heard_and_reported_alike(
    node: RunningNode, tracks: dict[str, str], media_dir: Path  # noqa: F811 - the fixtures imported above
) -> None:
    async with call(node) as session:
        await session.play(tracks["long-flac"])
        await session.frames_reach(50)

        paused = await session.patch({"paused": True})
        assert paused["paused"] is True
        at_pause = await quiet(session)
        assert session.node_sent() == at_pause  # nothing sent while paused
        seek = await session.patch({"position": 2000})
        assert seek["state"]["position"] == 2000
        update = await session.socket.next_matching(
            lambda m: m["op"] == "playerUpdate" and m["state"]["position"] == 2000, TIMEOUT_S
        )
        assert update["state"]["connected"] is True
        await session.patch({"paused": False})
        await session.frames_reach(at_pause + 40)

        before_volume = session.node_sent()
        await session.patch({"volume": 50})
        after_volume = session.node_sent()
        await session.frames_reach(after_volume + 40)
        before_back = session.node_sent()
        await session.patch({"volume": 100})
        await session.frames_reach(session.node_sent() + 20)
        filtered = await session.patch({"filters": {"volume": 0.25}})
        assert filtered["filters"] == {"volume": 0.25}
        after_filter = session.node_sent()
        await session.frames_reach(after_filter + 30)
        stopped = await session.patch({"track": {"encoded": None}})
        assert stopped["track"] is None
        end = await session.socket.event("TrackEndEvent", TIMEOUT_S)
        assert end["reason"] == "stopped"
        at_stop = await quiet(session)

        # A track that ends, then the next one the client plays on its TrackEndEvent, as a queue does.
        await session.patch({"filters": {}})
        await session.play(tracks["sweep-flac"])
        assert await session.ended() == "finished"
        first_end = len(session.listener.frames)
        await session.play(tracks["sweep-ogg"])
        assert await session.ended() == "finished"
        total = len(session.listener.frames)
        pcm = heard(session.listener)
        events = events_of(session)
        listener = session.listener

    assert events == [
        ("TrackStartEvent", None), ("TrackEndEvent", "stopped"),
        ("TrackStartEvent", None), ("TrackEndEvent", "finished"),
        ("TrackStartEvent", None), ("TrackEndEvent", "finished"),
    ]
    assert listener.dave_failures == 0
    # Paused at ~1 s; the seek to 2 s takes over at its first frame. As in lavaplayer (whose frame buffer is cleared
    # at the new stream's first insert), the frames buffered before the seek keep sounding until the new stream has
    # a frame: none on an idle machine, a few when the decoder is slow to seek (load). So: the old audio runs on
    # without a gap up to that frame, the new one starts at 2.0 s on the frame grid and loses no frame of the seek.
    first_new = next(k for k in range(2, 150) if content_s(pcm, at_pause + k) > 1.9)
    landed = content_s(pcm, at_pause + first_new + 2)
    frames_in = (landed - 2.0) / 0.020  # frames of the new stream before this one: 2 + the old frames' shortfall
    assert abs(frames_in - round(frames_in)) < 0.25 and 0.5 < frames_in < first_new + 2.5, (at_pause, first_new, landed)
    assert not continuity_errors_ms(pcm, range(2, at_pause + first_new - 8))
    assert not continuity_errors_ms(pcm, range(at_pause + first_new + 2, at_stop - 8))
    loud = rms(pcm[(at_pause + 5) * FRAME : (before_volume - 2) * FRAME])
    half = rms(pcm[(after_volume + 5) * FRAME : (before_back - 2) * FRAME])
    quarter = rms(pcm[(after_filter + 5) * FRAME : (after_filter + 25) * FRAME])
    assert 20 * np.log10(half / loud) == pytest.approx(-7.6, abs=0.5)  # lavaplayer's curve at 50
    assert 20 * np.log10(quarter / loud) == pytest.approx(-14.0, abs=0.5)  # lavadsp's curve: tan(0.25 * 0.79)
    # Both whole tracks after the stop, every frame heard: 3 s of FLAC, then the Ogg file's own Opus packets.
    assert first_end - at_stop == 150
    assert total - first_end == len(opus_packets(media_dir / "sweep.ogg"))


# -- voice close codes, as the in-process connection handles them ---------------------------------------------------

RECONNECTS, RESUMES, GIVES_UP = (4006, 4009), (4015, 1006), (4011, 4014)


def closes_seen(session: Call) -> list[tuple[int, bool]]:
    return [(m["code"], m["byRemote"]) for m in session.socket.seen
            if m["op"] == "event" and m["type"] == "WebSocketClosedEvent"]


@pytest.mark.parametrize("code", [*RECONNECTS, *RESUMES, *GIVES_UP])
async def test_voice_close_codes_are_handled_as_in_process(
    node: RunningNode, tracks: dict[str, str], code: int  # noqa: F811 - the fixture imported above
) -> None:
    async with call(node) as session:
        server = session.server
        await session.play(tracks["long-flac"])
        await session.frames_reach(30)
        if code == 1006:
            await server.drop_websocket()
        else:
            await server.close_websocket(code, "closed by the test")
        if code in GIVES_UP:
            await session.socket.event("WebSocketClosedEvent", TIMEOUT_S)
            update = await session.socket.next_matching(
                lambda m: m["op"] == "playerUpdate" and not m["state"]["connected"], TIMEOUT_S
            )
            assert update["state"]["ping"] == -1
            assert server.ws_connections == 1
            assert closes_seen(session) == [(code, True)]
            # The same voice state again connects anew, as in-process.
            await session.patch({"voice": server.voice_state()})
            await session.socket.next_matching(lambda m: m["op"] == "playerUpdate" and m["state"]["connected"],
                                               TIMEOUT_S)
        assert await session.ended() == "finished"
        listener = session.listener
        frames = len(listener.frames)
        seen = closes_seen(session)
    assert listener.dave_failures == 0
    if code in RECONNECTS:
        assert seen == [(code, True)]
        assert (server.identifies, server.resumes) == (2, 0)
        assert frames == 300  # every frame of the 6 s track
    elif code in RESUMES:
        assert seen == []  # a transparent resume is not reported
        assert (server.identifies, server.resumes) == (1, 1)
        assert frames == 300
    else:
        assert seen == [(code, True)]
        assert server.identifies == 2


async def test_a_voice_update_while_the_worker_starts_or_reconnects_goes_to_the_new_server(
    node: RunningNode, tracks: dict[str, str]  # noqa: F811 - the fixture imported above
) -> None:
    async with call(node) as session, FakeVoiceServer(
        guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,), token="moved"
    ) as moved, FakeVoiceServer(
        guild_id=GUILD, channel_id=CHANNEL, node_user_id=int(USER_ID), listener_ids=(LISTENER,), token="again"
    ) as again:
        # `call` sent the first voice update; this one follows before the first connection (and, with workers, the
        # first worker process) is up.
        await session.patch({"voice": moved.voice_state()})
        await session.play(tracks["long-flac"])
        await moved.wait_for(lambda: len(moved.listeners[LISTENER].frames) >= 30, TIMEOUT_S)
        # And one while the connection is busy re-identifying after a 4006.
        await moved.close_websocket(4006, "session no longer valid")
        await session.patch({"voice": again.voice_state()})
        await session.socket.event("TrackEndEvent", TIMEOUT_S)
        sent = session.node_sent()
        heard_moved = len(moved.listeners[LISTENER].frames)
        await again.wait_for(lambda: len(again.listeners[LISTENER].frames) + heard_moved >= sent, TIMEOUT_S)
        await wait_until(lambda: not moved.ws_connected and not session.server.ws_connected, TIMEOUT_S)
        assert again.ws_connected
        player = await session.patch({})
        assert player["voice"]["token"] == "again"
        assert player["state"]["connected"] is True
        assert again.identifies == 1
        assert len(again.listeners[LISTENER].frames) + heard_moved == sent == 300


# -- what the node reports: /v4/stats, the WebSocket's stats, the player's voice state ----------------------------


@pytest.mark.parametrize("workers", [0, 2], ids=["in-process", "workers"])
async def test_stats_and_voice_state_come_from_the_worker_mirror(
    make_node: NodeFactory, tracks: dict[str, str], workers: int  # noqa: F811 - the fixture imported above
) -> None:
    node = await make_node({"lavalink": {"server": {"voiceWorkers": workers}}}, stats_interval_s=1.0)
    async with call(node) as session:
        server = session.server
        await session.play(tracks["long-flac"])
        await session.frames_reach(10)
        await server.wait_for(lambda: server.heartbeats >= 1, TIMEOUT_S)
        async with asyncio.timeout(TIMEOUT_S):
            while (player := await session.patch({}))["state"]["ping"] < 0:
                await asyncio.sleep(0.05)
        assert player["state"]["connected"] is True
        async with session.http.get(f"{node.url}/v4/stats", headers=node.auth) as response:
            stats = await response.json()
        assert (stats["players"], stats["playingPlayers"]) == (1, 1)
        # Frame stats count a player that is playing and connected (the mirror's `connected`) for a second.
        frames = (await session.socket.next_matching(
            lambda m: m["op"] == "stats" and m["frameStats"] is not None, TIMEOUT_S
        ))["frameStats"]
        assert frames["sent"] > 0
        assert abs(frames["sent"] + frames["nulled"] + frames["deficit"] - 3000) <= 1
        await session.patch({"paused": True})
        async with session.http.get(f"{node.url}/v4/stats", headers=node.auth) as response:
            assert (await response.json())["playingPlayers"] == 0
        await server.close_websocket(4014, "Disconnected")
        await session.socket.event("WebSocketClosedEvent", TIMEOUT_S)
        await session.socket.next_matching(
            lambda m: m["op"] == "playerUpdate" and not m["state"]["connected"], TIMEOUT_S
        )
        state = (await session.patch({}))["state"]
        assert (state["connected"], state["ping"]) == (False, -1)


# -- a worker that cannot start ----------------------------------------------------------------------------------


async def test_a_worker_that_cannot_start_closes_the_voice_with_1011_and_the_next_update_retries(
    make_node: NodeFactory, tracks: dict[str, str], monkeypatch: pytest.MonkeyPatch  # noqa: F811 - the fixture
) -> None:
    node = await make_node({"lavalink": {"server": {"voiceWorkers": 2}}})

    def no_process(_process: object) -> None:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")  # fork's answer at the process limit

    async with contextlib.AsyncExitStack() as stack:
        with monkeypatch.context() as patched:  # not undo(): that would forget SSL_CERT_FILE too
            patched.setattr(multiprocessing.context.SpawnProcess, "start", no_process)
            session = await stack.enter_async_context(call(node))  # its voice update is the first connection
            closed = await session.socket.event("WebSocketClosedEvent", TIMEOUT_S)
            assert (closed["code"], closed["byRemote"]) == (1011, False)
            assert closed["reason"].startswith("voice worker process could not start")
            update = await session.socket.next_matching(lambda m: m["op"] == "playerUpdate", TIMEOUT_S)
            assert update["state"]["connected"] is False
            assert session.server.ws_connections == 0
        await session.patch({"voice": session.server.voice_state()})
        await session.socket.next_matching(lambda m: m["op"] == "playerUpdate" and m["state"]["connected"], TIMEOUT_S)
        await session.play(tracks["sweep-flac"])
        assert await session.ended() == "finished"
        assert len(session.listener.frames) == 150
