"""/metrics, /v4/health and the probes on the real node, with its authentication."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lavalink_py.api.keys import COUNTERS
from tests.api.test_players import TRACK_C
from tests.node import NodeFactory, RunningNode, connect, wait_until


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def test_metrics_need_credentials(node: RunningNode, http: aiohttp.ClientSession) -> None:
    for headers in ({}, {"Authorization": "wrong"}, basic("prom", "wrong")):
        async with http.get(node.url + "/metrics", headers=headers) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Basic")
    for headers in (node.auth, basic("prometheus", node.password)):
        async with http.get(node.url + "/metrics", headers=headers) as response:
            assert response.status == 200


async def test_metrics_with_their_own_basic_credentials(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node({"metrics": {"prometheus": {"auth": {"username": "prom", "password": "scrape"}}}})
    async with http.get(node.url + "/metrics", headers=node.auth) as response:
        assert response.status == 401
    async with http.get(node.url + "/metrics", headers=basic("prom", "scrape")) as response:
        assert response.status == 200


async def test_requests_and_events_are_counted(node: RunningNode, http: aiohttp.ClientSession) -> None:
    socket, ready, _ = await connect(http, node)
    url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/1"
    async with http.patch(url, json={"encodedTrack": TRACK_C}, headers=node.auth) as response:
        assert response.status == 200
    await socket.event("TrackStartEvent")
    async with http.get(node.url + "/v4/loadtracks?identifier=nothing", headers=node.auth):
        pass
    async with http.get(node.url + "/metrics", headers=node.auth) as response:
        text = await response.text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    route = "/v4/sessions/{session_id}/players/{guild_id}"
    assert value("lavalink_http_requests_total", method="PATCH", endpoint=route, status="200") == 1
    assert value("lavalink_player_events_total", type="start") == 1
    assert value("lavalink_tracks_failed_total", source="unknown", reason="not_found") == 1
    assert not any("/v4/sessions/" + ready["sessionId"] in str(labels) for _, labels in samples)
    await socket.close()


async def test_health_is_authenticated_and_probes_are_public(node: RunningNode, http: aiohttp.ClientSession) -> None:
    async with http.get(node.url + "/v4/health") as response:
        assert response.status == 401
    async with http.get(node.url + "/v4/health", headers=node.auth) as response:
        assert response.status in (200, 503)
        report = await response.json()
    assert {"memory", "disk", "event_loop_lag"} <= set(report["checks"])
    for path in ("/v4/ready", "/v4/alive"):
        async with http.get(node.url + path) as response:
            assert response.status == 200


async def test_probes_can_require_the_password(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    node = await make_node({"health": {"probes": {"auth": True}}})
    async with http.get(node.url + "/v4/ready") as response:
        assert response.status == 401
    async with http.get(node.url + "/v4/ready", headers=node.auth) as response:
        assert response.status == 200


@pytest.mark.parametrize("threshold", [0.001])
async def test_health_reports_503_naming_the_failing_check(
    make_node: NodeFactory, http: aiohttp.ClientSession, threshold: float
) -> None:
    node = await make_node({"health": {"thresholds": {"memory_percent": threshold}}})
    async with http.get(node.url + "/v4/health", headers=node.auth) as response:
        assert response.status == 503
        report = await response.json()
    assert "memory" in report["failing"]


async def test_the_node_sends_no_pings_by_default(make_node: NodeFactory, http: aiohttp.ClientSession) -> None:
    # Lavalink sends no WebSocket pings, and 1,000 idle sessions then cost no timer (issue 11).
    node = await make_node()
    headers = {**node.auth, "User-Id": "1", "Client-Name": "tests/1.0"}
    async with http.ws_connect(node.ws_url, headers=headers, autoping=False) as ws:  # pings would be messages
        ops = [(await ws.receive_json(timeout=30))["op"] for _ in range(2)]
        assert ops == ["ready", "stats"]
        with pytest.raises(TimeoutError):
            message = await ws.receive(timeout=1.0)
            pytest.fail(f"the node sent {message.type!r} to an idle session")
    assert node.app[COUNTERS].websocket.latency.count == 0


async def test_client_latency_and_session_duration_are_measured(
    make_node: NodeFactory, http: aiohttp.ClientSession
) -> None:
    node = await make_node({"metrics": {"websocket_ping_interval": 0.05}})  # the setting turns the pings on
    metrics = node.app[COUNTERS]
    socket, _, ws = await connect(http, node)  # aiohttp's client answers pings by itself, as clients do
    await wait_until(lambda: metrics.websocket.latency.count >= 2)
    await ws.ping(b"from the client")  # the node answers a client's ping
    await socket.close()
    await wait_until(lambda: dict(metrics.player_events.durations.items()).get("session") is not None)
