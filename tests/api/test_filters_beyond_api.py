"""The filters beyond Lavalink over the REST API: echoed with every default, bad values refused with Lavalink's
error body and the player left as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.api.test_players import TRACK_A, Client, without_time
from tests.node import RunningNode, connect


@pytest.fixture
async def client(node: RunningNode, http: aiohttp.ClientSession) -> AsyncIterator[Client]:
    socket, ready, _ = await connect(http, node)
    yield Client(http, node, ready["sessionId"], socket)
    await socket.close()


async def test_every_field_is_echoed_with_its_default(client: Client) -> None:
    body = {"filters": {"echo": {"delayMs": 120}, "compressor": {"ratio": 8}, "loudness": {}, "volume": 0.8}}
    status, player = await client.patch(3, {"encodedTrack": TRACK_A, **body})
    assert status == 200, player
    assert player["filters"] == {
        "volume": 0.8,
        "echo": {"delayMs": 120.0, "decay": 0.5},
        "compressor": {
            "thresholdDb": -20.0,
            "ratio": 8.0,
            "attackMs": 20.0,
            "releaseMs": 250.0,
            "kneeDb": 6.0,
            "makeupDb": 0.0,
        },
        "loudness": {"targetLufs": -16.0, "maxGainDb": 20.0, "peakDb": -1.0},
    }
    _, again = await client.get(3)
    assert again["filters"] == player["filters"]
    status, player = await client.patch(
        3, {"filters": {"highPass": {}, "chorus": {"rateHz": 1.5}, "phaser": {"feedback": None}}}
    )
    assert player["filters"] == {
        "highPass": {"cutoffHz": 200.0},
        "chorus": {"delayMs": 25.0, "depthMs": 2.0, "rateHz": 1.5, "mix": 0.5},
        "phaser": {"rateHz": 0.5, "delayMs": 3.0, "feedback": 0.4},
    }


BAD = [
    ({"echo": {"delayMs": 0}}, "filters.echo.delayMs: expected a number from 1.0 to 5000.0, got 0"),
    ({"echo": {"decay": -0.1}}, "filters.echo.decay: expected a number from 0.0 to 1.0, got -0.1"),
    ({"chorus": {"depthMs": 25}}, "filters.chorus.depthMs: expected a number from 0.0 to 20.0, got 25"),
    ({"compressor": {"ratio": 21}}, "filters.compressor.ratio: expected a number from 1.0 to 20.0, got 21"),
    ({"compressor": {"thresholdDb": "loud"}}, "filters.compressor.thresholdDb: expected a number, got a string"),
    ({"highPass": {"cutoffHz": 30000}}, "filters.highPass.cutoffHz: expected a number from 10.0 to 20000.0"),
    ({"phaser": {"rateHz": 0}}, "filters.phaser.rateHz: expected a number from 0.1 to 2.0, got 0"),
    ({"loudness": {"targetLufs": 0}}, "filters.loudness.targetLufs: expected a number from -40.0 to -5.0, got 0"),
    ({"loudness": 5}, "filters.loudness: expected a JSON object, got a number"),
]


@pytest.mark.parametrize(("filters", "message"), BAD)
async def test_bad_value_is_400_and_changes_nothing(client: Client, filters: dict[str, Any], message: str) -> None:
    await client.patch(5, {"encodedTrack": TRACK_A, "filters": {"compressor": {"ratio": 3}, "echo": {}}})
    _, before = await client.get(5)
    # A valid filter next to the bad one must not be applied either.
    status, error = await client.patch(5, {"filters": {"highPass": {"cutoffHz": 90}, **filters}})
    assert status == 400, error
    assert (error["status"], error["error"]) == (400, "Bad Request")
    assert message in error["message"]
    assert error["path"] == f"/v4/sessions/{client.session_id}/players/5"
    _, after = await client.get(5)
    assert without_time(after) == without_time(before)
