"""The voice player tests of tests/test_voice_players.py again, with `lavalink.server.voiceWorkers: 2`: the
players' voice connections live in two worker processes (lavalink_py/voice/workers.py) and the client sees the
same events, states and voice sessions (connect, 4014 WebSocketClosedEvent, a voice server move, destroy)."""

from __future__ import annotations

import pytest

from tests.node import NodeFactory, RunningNode
from tests.test_voice_players import (  # noqa: F401 - collected again here, with the worker node below
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
