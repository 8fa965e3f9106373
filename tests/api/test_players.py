"""The player routes: shapes, every field of PATCH, events, and every refusal leaving the player untouched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.node import LavalinkSocket, RunningNode, connect

# Lavalink4NET's version-3 vector (see shared/reference/lavalink-v4.md §9).
TRACK_C = (
    "QAAA2QMAPFJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAgKE9mZmljaWFsIE11c2ljIFZpZGVvKQALUmljayBBc3RsZXkAAAAAAANA"
    "CAALZFF3NHc5V2dYY1EAAQAraHR0cHM6Ly93d3cueW91dHViZS5jb20vd2F0Y2g/dj1kUXc0dzlXZ1hjUQEANGh0dHBzOi8vaS55dGltZy5jb20vdmkv"
    "ZFF3NHc5V2dYY1EvbWF4cmVzZGVmYXVsdC5qcGcAAAd5b3V0dWJlAAAAAAAAAAA="
)
# Lavalink's documentation vector (version 2).
TRACK_A = (
    "QAAAjQIAJVJpY2sgQXN0bGV5IC0gTmV2ZXIgR29ubmEgR2l2ZSBZb3UgVXAADlJpY2tBc3RsZXlWRVZPAAAAAAADPCAAC2RRdzR3OVdnWGNRAAEAK2h0"
    "dHBzOi8vd3d3LnlvdXR1YmUuY29tL3dhdGNoP3Y9ZFF3NHc5V2dYY1EAB3lvdXR1YmUAAAAAAAAAAA=="
)
VOICE = {"token": "tok", "endpoint": "us-east1.discord.media", "sessionId": "vs", "channelId": "123456789"}


class Client:
    def __init__(self, http: aiohttp.ClientSession, node: RunningNode, session_id: str, socket: LavalinkSocket):
        self.http, self.node, self.session_id, self.socket = http, node, session_id, socket

    def url(self, guild: int | str) -> str:
        return f"{self.node.url}/v4/sessions/{self.session_id}/players/{guild}"

    async def patch(self, guild: int | str, body: Any, query: str = "") -> tuple[int, Any]:
        async with self.http.patch(self.url(guild) + query, json=body, headers=self.node.auth) as response:
            return response.status, await response.json()

    async def get(self, guild: int | str) -> tuple[int, Any]:
        async with self.http.get(self.url(guild), headers=self.node.auth) as response:
            return response.status, await response.json()


@pytest.fixture
async def client(node: RunningNode, http: aiohttp.ClientSession) -> AsyncIterator[Client]:
    socket, ready, _ = await connect(http, node)
    yield Client(http, node, ready["sessionId"], socket)
    await socket.close()


def without_time(player: dict[str, Any]) -> dict[str, Any]:
    return {**player, "state": {k: v for k, v in player["state"].items() if k != "time"}}


async def test_new_player_shape(client: Client) -> None:
    status, player = await client.patch(1, {})
    assert status == 200
    assert without_time(player) == {
        "guildId": "1",
        "track": None,
        "volume": 100,
        "paused": False,
        "state": {"position": 0, "connected": False, "ping": -1},
        "voice": {"token": "", "endpoint": "", "sessionId": "", "channelId": None},
        "filters": {},
        # lavalink_py's one extra field, which Lavalink clients ignore (docs/endpoints.md).
        "frames": {
            "sent": 0,
            "lost": {"sourceUnderrun": 0, "encoderLate": 0, "sendLate": 0, "eventLoopLag": 0, "gcPause": 0},
            "opusComplexity": None,
            "opusBitrate": None,
            "opusBandwidth": None,
        },
    }
    async with client.http.get(client.url("")[:-1], headers=client.node.auth) as response:
        listed = await response.json()
    assert [without_time(p) for p in listed] == [without_time(player)]


async def test_unknown_player_and_session(client: Client, http: aiohttp.ClientSession, node: RunningNode) -> None:
    status, body = await client.get(99)
    assert (status, body["message"]) == (404, "Player not found")
    async with http.delete(client.url(99), headers=node.auth) as response:
        assert response.status == 204
    for method in ("GET", "PATCH", "DELETE"):
        url = f"{node.url}/v4/sessions/nosuchsession0000/players/1"
        async with http.request(method, url, json={}, headers=node.auth) as response:
            assert response.status == 404
            assert (await response.json())["message"] == "Session not found"


async def test_play_encoded_track_emits_start_and_echoes_track(client: Client) -> None:
    status, player = await client.patch(7, {"track": {"encoded": TRACK_C, "userData": {"requester": 5}}})
    assert status == 200
    track = player["track"]
    assert track["encoded"] == TRACK_C
    assert track["userData"] == {"requester": 5}
    assert track["pluginInfo"] == {}
    assert track["info"]["title"] == "Rick Astley - Never Gonna Give You Up (Official Music Video)"
    assert track["info"]["isSeekable"] is True
    start = await client.socket.event("TrackStartEvent")
    assert start["guildId"] == "7"
    assert start["track"]["encoded"] == TRACK_C
    assert start["track"]["userData"] == {"requester": 5}
    update = await client.socket.next_matching(lambda m: m["op"] == "playerUpdate")
    assert update["guildId"] == "7"
    assert set(update["state"]) == {"time", "position", "connected", "ping"}


async def test_replace_then_stop_then_destroy_end_events(client: Client) -> None:
    await client.patch(7, {"encodedTrack": TRACK_C})
    await client.socket.event("TrackStartEvent")
    await client.patch(7, {"encodedTrack": TRACK_A})
    end = await client.socket.event("TrackEndEvent")
    assert (end["reason"], end["track"]["encoded"]) == ("replaced", TRACK_C)
    assert (await client.socket.event("TrackStartEvent"))["track"]["encoded"] == TRACK_A
    status, player = await client.patch(7, {"track": {"encoded": None}})
    assert status == 200
    assert player["track"] is None
    assert (await client.socket.event("TrackEndEvent"))["reason"] == "stopped"
    await client.patch(7, {"encodedTrack": TRACK_C})
    async with client.http.delete(client.url(7), headers=client.node.auth) as response:
        assert response.status == 204
    assert (await client.socket.event("TrackEndEvent"))["reason"] == "cleanup"
    assert (await client.get(7))[0] == 404


async def test_no_replace_keeps_the_playing_track(client: Client) -> None:
    await client.patch(3, {"encodedTrack": TRACK_C})
    status, player = await client.patch(3, {"encodedTrack": TRACK_A, "volume": 30}, "?noReplace=true")
    assert status == 200
    assert player["track"]["encoded"] == TRACK_C
    assert player["volume"] == 30
    status, player = await client.patch(4, {"encodedTrack": TRACK_A}, "?noReplace=true")
    assert player["track"]["encoded"] == TRACK_A


async def test_every_field_is_stored_and_echoed(client: Client) -> None:
    filters = {
        "volume": 0.8,
        "equalizer": [{"band": 0, "gain": 0.2}, {"band": 14, "gain": -0.25}],
        "timescale": {"speed": 1.2},
        "lowPass": {"smoothing": 30},
        "pluginFilters": {"echo": {"delay": 1}},
    }
    body = {
        "track": {"encoded": TRACK_C, "userData": {"a": [1, "b"]}},
        "position": 1500,
        "endTime": 90000,
        "volume": 250,
        "paused": True,
        "filters": filters,
        "voice": VOICE,
    }
    status, player = await client.patch(11, body)
    assert status == 200
    assert player["paused"] is True
    assert player["volume"] == 250
    assert player["state"]["position"] == 1500
    assert player["track"]["info"]["position"] == 1500
    assert player["voice"] == VOICE
    assert player["filters"] == {
        "volume": 0.8,
        "equalizer": [{"band": 0, "gain": 0.2}, {"band": 14, "gain": -0.25}],
        "timescale": {"speed": 1.2, "pitch": 1.0, "rate": 1.0},
        "lowPass": {"smoothing": 30.0},
        # pluginFilters "echo": no plugin filter has that name, so it is dropped (Lavalink's parsePluginConfigs).
    }
    status, again = await client.get(11)
    assert without_time(again) == without_time(player)
    # Seeking and resuming the current track; userData alone updates the current track.
    status, player = await client.patch(11, {"position": 500, "paused": False, "track": {"userData": {"x": 1}}})
    assert (player["state"]["position"], player["paused"]) == (500, False)
    assert player["track"]["userData"] == {"x": 1}
    # endTime null clears it; filters {} clears every filter.
    status, player = await client.patch(11, {"endTime": None, "filters": {}})
    assert (status, player["filters"]) == (200, {})


BAD_UPDATES: list[tuple[Any, str]] = [
    ({"volume": 1001}, "volume: expected an integer from 0 to 1000, got 1001"),
    ({"volume": -1}, "volume: expected an integer from 0 to 1000, got -1"),
    ({"volume": "loud"}, "volume: expected an integer, got a string"),
    ({"paused": "yes"}, "paused: expected a boolean, got a string"),
    ({"position": -5}, "position: expected an integer from 0"),
    ({"position": 1.5}, "position: expected an integer, got a number"),
    ({"endTime": 0}, "End time must be greater than 0"),
    ({"endTime": -3}, "End time must be greater than 0"),
    ({"track": {"encoded": TRACK_C}, "encodedTrack": TRACK_C}, "Cannot specify both track and encodedTrack/identifier"),
    ({"track": {"encoded": TRACK_C, "identifier": "x"}}, "Cannot specify both encodedTrack and identifier"),
    ({"encodedTrack": TRACK_C, "identifier": "x"}, "Cannot specify both encodedTrack and identifier"),
    ({"encodedTrack": "not base64 at all!"}, "Failed to decode track"),
    ({"encodedTrack": "QUFB"}, "Failed to decode track"),
    ({"encodedTrack": 5}, "encodedTrack: expected a string or null, got a number"),
    ({"track": {"userData": "x"}}, "track.userData: expected an object, got a string"),
    ({"track": []}, "track: expected a JSON object, got an array"),
    # Lavalink's `track` is a non-nullable Omissible (protocol v4 player.kt:124): null is refused, not "absent".
    ({"track": None}, "track: expected a JSON object, got null"),
    ({"track": None, "encodedTrack": TRACK_C}, "Cannot specify both track and encodedTrack/identifier"),
    ({"voice": {"token": "t", "endpoint": "e", "sessionId": "s"}}, "must be provided in voice state"),
    ({"voice": {**VOICE, "token": " "}}, "token, endpoint, sessionId and channelId must be provided in voice state"),
    ({"voice": {**VOICE, "channelId": "general"}}, "voice.channelId: expected a snowflake"),
    ({"filters": {"volume": 6}}, "filters.volume: expected a number from 0.0 to 5.0, got 6"),
    ({"filters": {"equalizer": [{"band": 15, "gain": 0}]}}, "filters.equalizer[0].band: expected an integer from 0"),
    ({"filters": {"equalizer": [{"band": 1, "gain": 2}]}}, "filters.equalizer[0].gain: expected a number from -0.25"),
    ({"filters": {"tremolo": {"depth": 0}}}, "filters.tremolo.depth: expected a number greater than 0.0"),
    ({"filters": {"vibrato": {"frequency": 15}}}, "filters.vibrato.frequency: expected a number greater than 0.0"),
    ({"filters": {"channelMix": {"leftToLeft": 1.5}}}, "filters.channelMix.leftToLeft: expected a number from 0.0"),
    ({"filters": {"timescale": {"speed": -1}}}, "filters.timescale.speed: expected a number greater than 0.0"),
    ({"filters": {"timescale": {"pitch": 0}}}, "filters.timescale.pitch: expected a number greater than 0.0"),
    ({"filters": "none"}, "filters: expected a JSON object, got a string"),
    ({"identifier": "nothing-matches-this"}, "No matches found for identifier"),
    ([], "body: expected a JSON object, got an array"),
]


@pytest.mark.parametrize(("body", "message"), BAD_UPDATES)
async def test_bad_update_is_400_and_changes_nothing(client: Client, body: Any, message: str) -> None:
    await client.patch(5, {"encodedTrack": TRACK_A, "volume": 40, "filters": {"volume": 0.5}})
    _, before = await client.get(5)
    status, error = await client.patch(5, body)
    assert status == 400, error
    assert error["status"] == 400
    assert error["error"] == "Bad Request"
    assert message in error["message"]
    assert error["path"] == f"/v4/sessions/{client.session_id}/players/5"
    _, after = await client.get(5)
    assert without_time(after) == without_time(before)


async def test_malformed_json_and_bad_guild_id(client: Client, http: aiohttp.ClientSession, node: RunningNode) -> None:
    headers = {**node.auth, "Content-Type": "application/json"}
    async with http.patch(client.url(5), data=b"{not json", headers=headers) as response:
        assert response.status == 400
        assert "Malformed JSON body" in (await response.json())["message"]
    async with http.patch(client.url("abc"), json={}, headers=node.auth) as response:
        assert response.status == 400
        assert "guildId" in (await response.json())["message"]
    async with http.patch(client.url(5) + "?noReplace=perhaps", json={}, headers=node.auth) as response:
        assert response.status == 400
    assert client.node.node.sessions.get(client.session_id) is not None
    assert not client.node.node.sessions.get(client.session_id).players  # type: ignore[union-attr]


async def test_disabled_filters_are_refused(make_node: Any, http: aiohttp.ClientSession) -> None:
    node = await make_node({"lavalink": {"server": {"filters": {"karaoke": False, "timescale": False}}}})
    socket, ready, _ = await connect(http, node)
    client = Client(http, node, ready["sessionId"], socket)
    status, error = await client.patch(1, {"filters": {"timescale": {}, "karaoke": {}, "volume": 1.0}})
    assert status == 400
    assert error["message"] == "Following filters are disabled in the config: karaoke, timescale"
    await socket.close()


ALL_FILTERS = {  # config key -> a minimal non-neutral value (Lavalink's ten, then the six beyond Lavalink)
    "volume": 0.5,
    "equalizer": [{"band": 0, "gain": 0.2}],
    "karaoke": {"level": 1.0},
    "timescale": {"speed": 1.2},
    "tremolo": {"depth": 0.5},
    "vibrato": {"depth": 0.5},
    "distortion": {"scale": 0.5},
    "rotation": {"rotationHz": 0.2},
    "channelMix": {"leftToRight": 0.5},
    "lowPass": {"smoothing": 20.0},
    "highPass": {"cutoffHz": 120},
    "echo": {},
    "chorus": {},
    "phaser": {},
    "compressor": {},
    "loudness": {},
}


LAVALINKS = ["volume", "equalizer", "karaoke", "timescale", "tremolo", "vibrato", "distortion", "rotation",
             "channelMix", "lowPass"]


@pytest.mark.parametrize("off", [LAVALINKS, [name for name in ALL_FILTERS if name not in LAVALINKS]])
async def test_every_filter_has_a_switch(make_node: Any, http: aiohttp.ClientSession, off: list[str]) -> None:
    """`lavalink.server.filters.<name>: false` refuses a PATCH naming it (Lavalink's 400) and hides it from
    /v4/info, for each of the sixteen; the filters left on still apply."""
    node = await make_node({"lavalink": {"server": {"filters": {name: False for name in off}}}})
    async with http.get(f"{node.url}/v4/info", headers=node.auth) as response:
        listed = (await response.json())["filters"]
    assert set(listed) == set(ALL_FILTERS) - set(off)
    socket, ready, _ = await connect(http, node)
    client = Client(http, node, ready["sessionId"], socket)
    for name in off:
        status, error = await client.patch(1, {"filters": {name: ALL_FILTERS[name]}})
        assert status == 400
        assert error["message"] == f"Following filters are disabled in the config: {name}"
    on = {name: value for name, value in ALL_FILTERS.items() if name not in off}
    status, player = await client.patch(1, {"filters": on})
    assert status == 200, player
    assert set(on) <= set(player["filters"])
    await socket.close()


async def test_session_patch(client: Client, http: aiohttp.ClientSession, node: RunningNode) -> None:
    url = f"{node.url}/v4/sessions/{client.session_id}"
    async with http.patch(url, json={}, headers=node.auth) as response:
        assert await response.json() == {"resuming": False, "timeout": 60}
    async with http.patch(url, json={"resuming": True}, headers=node.auth) as response:
        assert await response.json() == {"resuming": True, "timeout": 60}
    async with http.patch(url, json={"timeout": 5}, headers=node.auth) as response:
        assert await response.json() == {"resuming": True, "timeout": 5}
    for bad in ({"resuming": "yes"}, {"timeout": -1}, {"timeout": "x"}, [1]):
        async with http.patch(url, json=bad, headers=node.auth) as response:
            assert response.status == 400
    async with http.patch(url, json={}, headers=node.auth) as response:
        assert await response.json() == {"resuming": True, "timeout": 5}
