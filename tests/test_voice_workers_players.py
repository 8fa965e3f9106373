"""The voice player tests of tests/test_voice_players.py again, with `lavalink.server.voiceWorkers: 2`: the
players' voice connections live in two worker processes (lavalink_py/voice/workers.py) and the client sees the
same events, states and voice sessions (connect, 4014 WebSocketClosedEvent, a voice server move, destroy)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.media import write_audio
from tests.node import NodeFactory, RunningNode
from tests.test_voice_players import (  # noqa: F401 - collected again here, with the worker node below
    connected_player,
    fake_server,
    patch,
    test_destroying_the_player_closes_its_voice_connection,
    test_non_resumable_close_reaches_the_client,
    test_server_move_keeps_the_track,
    test_voice_state_connects_the_player,
    trust_test_ca,
    voice_server,
)


@pytest.fixture
async def node(make_node: NodeFactory) -> RunningNode:
    return await make_node({"lavalink": {"server": {"voiceWorkers": 2}}})


async def scrape(http: aiohttp.ClientSession, node: RunningNode) -> dict[str, dict[str, float]]:
    """The voice worker families of /metrics: {sample name: {worker label: value}}."""
    async with http.get(node.url + "/metrics", headers=node.auth) as response:
        text = await response.text()
    out: dict[str, dict[str, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("lavalink_voice_worker_"):
                out.setdefault(sample.name, {})[sample.labels["worker"]] = sample.value
    return out


async def test_metrics_show_each_workers_links_packets_and_cpu(
    node: RunningNode, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    write_audio(tmp_path / "tone.flac", seconds=3.0)
    async with fake_server(listener_ids=(444,), decode_audio=False) as server:
        socket, session_id = await connected_player(http, node, server)
        async with http.get(f"{node.url}/v4/loadtracks", params={"identifier": str(tmp_path / "tone.flac")},
                            headers=node.auth) as response:
            loaded = await response.json()
        await patch(http, node, session_id, {"encodedTrack": loaded["data"]["encoded"]})
        await server.wait_for(lambda: len(server.packets) >= 50, 30)
        async with asyncio.timeout(30):  # the workers report once a second
            while not sum((metrics := await scrape(http, node)).get("lavalink_voice_worker_packets_sent_total",
                                                                     {}).values()):
                await asyncio.sleep(0.2)
        await socket.close()
    assert set(metrics["lavalink_voice_worker_links"]) == {"0", "1"}  # both slots, one of them hosting the link
    assert sorted(metrics["lavalink_voice_worker_links"].values()) == [0, 1]
    [hosting] = [w for w, n in metrics["lavalink_voice_worker_links"].items() if n == 1]
    assert metrics["lavalink_voice_worker_packets_sent_total"][hosting] > 0
    assert metrics["lavalink_voice_worker_batches_total"][hosting] > 0
    assert metrics["lavalink_voice_worker_cpu_seconds_total"][hosting] > 0
    assert metrics["lavalink_voice_worker_restarts_total"] == {"0": 0, "1": 0}
