"""Epoch changes while several players stream (issue 11): MLS work goes through the node's MlsLane (paced on the
loop, or proposals, commits and welcomes on its thread), frames keep flowing with the current epoch's keys, and no
frame is lost or undecryptable at the receivers."""

import asyncio
import contextlib
from collections.abc import Callable
from functools import partial

import pytest

from lavalink_py.voice.connection import VoiceConnection
from lavalink_py.voice.mls_lane import MlsLane
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.voice.audio import encode_opus, sweep

A, B = 501, 502
PLAYERS = 4


async def stream(connections: list[VoiceConnection], frames: list[bytes], stop: asyncio.Event) -> int:
    """One clock for all players, like the node's FrameClock: every 20 ms each sends its next frame, until stop."""
    loop = asyncio.get_running_loop()
    start, tick = loop.time(), 0
    while not stop.is_set():
        for connection in connections:
            connection.send_frame(frames[tick % len(frames)])
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * 0.02 - loop.time()))
    return tick


async def all_reach(servers: list[FakeVoiceServer], predicate: Callable[[FakeVoiceServer], bool]) -> None:
    await asyncio.gather(*(s.wait_for(partial(predicate, s), 60) for s in servers))


@pytest.mark.parametrize("threaded", [False, True], ids=["on-loop", "thread"])
async def test_member_join_and_leave_in_every_call_lose_no_frame(threaded: bool) -> None:
    frames = encode_opus(sweep(1.0))
    lane = MlsLane(threaded=threaded)
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(FakeVoiceServer(guild_id=700 + i, listener_ids=(A,), decode_audio=False))
            for i in range(PLAYERS)
        ]
        connections = [
            VoiceConnection(
                guild_id=s.guild_id, user_id=s.node_user_id, channel_id=s.channel_id, session_id=s.session_id,
                token=s.token, endpoint=s.endpoint, on_event=lambda _e: None, ssl_context=s.client_ssl_context(),
                mls_lane=lane,
            )
            for s in servers
        ]
        for connection in connections:
            stack.push_async_callback(connection.close)
        await asyncio.gather(*(c.wait_e2ee_ready(30) for c in connections))
        await all_reach(servers, lambda s: bool(s.group.executed))
        calls_at_start, offloaded_at_start = lane.stats.calls, lane.stats.offloaded
        stop = asyncio.Event()
        playing = asyncio.create_task(stream(connections, frames, stop))
        await all_reach(servers, lambda s: len(s.packets) >= 20)
        # Every call changes epoch at once, twice: B joins (add + welcome), then B leaves (remove).
        await asyncio.gather(*(s.add_listener(B) for s in servers))
        await all_reach(servers, lambda s: len(s.group.executed) == 2)
        await asyncio.gather(*(s.remove_listener(B) for s in servers))
        await all_reach(servers, lambda s: len(s.group.executed) == 3)
        # A last stretch on the final epoch's keys before the players stop.
        marks = {s.guild_id: len(s.packets) for s in servers}
        await all_reach(servers, lambda s: len(s.packets) >= marks[s.guild_id] + 20)
        stop.set()
        ticks = await playing
        await all_reach(servers, lambda s: len(s.packets) >= ticks)
    # The epoch changes' MLS calls (27 -> 28, 29/30) went through the lane: on its thread only when it had one.
    assert lane.stats.calls >= calls_at_start + 2 * PLAYERS
    if threaded:
        assert lane.stats.offloaded >= offloaded_at_start + 2 * PLAYERS
    else:
        assert lane.stats.offloaded == 0
    for server, connection in zip(servers, connections, strict=True):
        assert server.group.epoch == 3
        assert connection.stats.packets_sent == ticks
        assert connection.stats.frames_withheld == connection.stats.send_failures == 0
        assert len(server.packets) == ticks
        assert server.sequence_errors() == []
        a = server.listeners[A]
        # A stayed in the group throughout: every packet decrypted, old epoch's keys and new.
        assert a.dave_failures == 0
        assert [f.sequence for f in a.frames] == [p.sequence for p in server.packets]


async def test_lane_runs_calls_in_order_and_defers_past_its_budget() -> None:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def work(label: str, cost_s: float) -> str:
        now[0] += cost_s
        order.append(label)
        return label

    order: list[str] = []
    lane = MlsLane(budget_s=0.008, window_s=0.02, clock=clock)
    results = await asyncio.gather(*(lane.run(partial(work, f"call{i}", 0.005)) for i in range(4)))
    assert results == order == ["call0", "call1", "call2", "call3"]
    # 5 ms each against 8 ms per window: two calls fit, the third waits for the next window, and so on.
    assert lane.stats.calls == 4
    assert lane.stats.deferred == 1


async def test_lane_passes_exceptions_and_keeps_running() -> None:
    lane = MlsLane()

    def fail() -> None:
        raise ValueError("bad commit")

    with pytest.raises(ValueError, match="bad commit"):
        await lane.run(fail)
    assert await lane.run(lambda: 7) == 7
