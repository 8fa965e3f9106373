"""Issue 5's "done when", on the real node: a real Prometheus scrapes the node's /metrics with the node's
credentials while a bot plays an HTTP mp3 to a DAVE listener on the fake Discord voice server, loads fail, a client
breaks the WebSocket protocol and a plugin collector raises. Then every dashboard and rule expression must return
data, and docs/metrics.md must describe exactly what the node exports."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import lavalink
import numpy as np
import pytest
import pytest_asyncio
import yaml
from aiohttp import web
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from lavalink_py.audio.clock import FrameClock
from lavalink_py.metrics.collectors.player import PlayerCollector
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.metrics.inputs import NoNodeState
from tests.fakes.discord_voice.server import FakeVoiceServer
from tests.fakes.music import mirror_plugin
from tests.fakes.music.catalog import Catalog, Mirror, Song
from tests.fakes.music.servers import CLIENT_ID, CLIENT_SECRET, mirror_routes, serve, spotify_routes
from tests.lavalink_bot import bot_in_voice
from tests.media import write_audio
from tests.metrics.prometheus_harness import (
    REPO,
    RULES,
    PrometheusServer,
    Sample,
    ScrapeTarget,
    dashboard_expressions,
    rule_expressions,
    run_prometheus,
    without_idle_zero,
)
from tests.metrics.test_docs import documented
from tests.node import RunningNode, connect, raw_session, running_nodes
from tests.voice.audio import sweep

JOB = "lavalink"
SHIPPED_CONFIG = REPO / "deploy" / "prometheus.yml"
GUILD, CHANNEL, LISTENER = 111, 222, 444
SECONDS = 2.0

on_module_loop = pytest.mark.asyncio(loop_scope="module")

# Series no activity of this node can create, each with why. The tests assert exactly these stay empty, so the
# lists must shrink when the node starts exporting them. (The fallback families are fed by the bundled lavasrc
# plugin: Spotify tracks, from a local Spotify API, played through a mirror provider.)
UNFED_DASHBOARD_PANELS: dict[str, str] = {}
UNFED_RULES = {
    "LavalinkHTTPServerErrors": "nothing here may answer a 5xx; tests/test_monitoring_idle.py checks its zero",
}
# Families the node declares but never fills (their labels cannot be compared with the docs).
UNFED_FAMILIES = {
    "lavalink_persistence_restore_failures_total",  # a node started on no store has nothing it failed to restore
    # This node runs its voice in-process (voiceWorkers 0): no worker to label. Fed with workers in
    # tests/test_voice_workers_players.py.
    "lavalink_voice_worker_links",
    "lavalink_voice_worker_packets_sent_total",
    "lavalink_voice_worker_batches_total",
    "lavalink_voice_worker_cpu_seconds_total",
    "lavalink_voice_worker_restarts_total",
}
# Rules whose state follows the machine's load, not what the test does (see the rule test below).
LOAD_DEPENDENT = {
    "LavalinkHighCPUUsage",
    "LavalinkHighMemoryUsage",
    "LavalinkEventLoopLag",
    "LavalinkFrameLoss",
    "LavalinkDown",
}
# The plugin collector below fails on purpose; its alert waits out its `for: 10m`.
EXPECTED_PENDING = {"LavalinkCollectorFailing"}
# A frame that breaks RFC 6455 counts as a `protocol` WebSocket error.
WEBSOCKET_ERROR_TYPE = "protocol"


class FailingCollector:
    """A plugin collector (metrics.custom) that raises, as a broken plugin would."""

    name = "failing"

    def collect(self) -> Iterable[Metric]:
        raise RuntimeError("a broken plugin")


@dataclass
class Stack:
    node: RunningNode
    prometheus: PrometheusServer
    metrics_text: str


@pytest.fixture(scope="module")
def trust_fake_discord() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))
        yield


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def media_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    root = tmp_path_factory.mktemp("media")
    mono = sweep(SECONDS)
    write_audio(root / "sweep.mp3", samples=np.stack([mono, mono]), rate=48000, title="Sweep")
    app = web.Application()
    app.router.add_static("/media", root)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/media"
    await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    trust_fake_discord: None, media_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    config = {"metrics": {"custom": [f"{__name__}:FailingCollector"]}}
    async with running_nodes() as start, aiohttp.ClientSession() as http, mirrored_spotify(
        media_url, tmp_path_factory.mktemp("plugins")
    ) as extra:
        node = await start({**config, **extra}, ws_ping_interval_s=0.5)
        target, rule_files = shipped_scrape_config(node.url.removeprefix("http://"), node.password)
        workdir = tmp_path_factory.mktemp("prometheus")
        async with run_prometheus(target, workdir, rule_files=rule_files) as prometheus:
            await prometheus.wait_for_scrapes(JOB, 1, timeout_s=30)
            await play_to_the_end(node, media_url)
            await misbehave(node, http, media_url)
            await mirror(node, http, SPOTIFY_SONGS[0])
            # A second round after a scrape, so that histograms and counters move between two scrapes.
            await scrapes(prometheus, 1)
            await misbehave(node, http, media_url)
            await mirror(node, http, SPOTIFY_SONGS[1])
            await scrapes(prometheus, 2)
            async with http.get(node.url + "/metrics", headers=node.auth) as response:
                text = await response.text()
            yield Stack(node, prometheus, text)


SPOTIFY_SONGS = [
    Song("4uLU6hMCjMI75M1A2tKUQC", "1", 1, "Harbour Lights", "The Quiet Tides", "0OdUWJ0sBjDrqHygGUXeCF",
         "Low Water", "6akEvsycLGftJxYudPjmqK", int(SECONDS * 1000), "GBAYE2400001"),
    Song("7ouMYWpwJ422jRcDASZB7P", "2", 2, "Northern Road", "Mira Vale", "3WrFJ7ztbogyGnTHbHJFl2",
         "Far Country", "1ATL5GLyefJaxhQzSPVrLX", int(SECONDS * 1000), "USXYZ2400002"),
]
MIRROR_PLAYS = 2 * 3
NO_MIRROR = Song("0VjIjW4GlUZAMYd2vXMi3b", "3", 3, "Unheard Song", "Nobody", "1dfeR4HaWDbWqFHLkxsg1d", "Void",
                 "4aawyAB9vmqN3uQ7FjRGTy", int(SECONDS * 1000), "FRZZZ2400003")


@contextlib.asynccontextmanager
async def mirrored_spotify(media_url: str, plugins_dir: Path) -> AsyncIterator[dict[str, Any]]:
    """A local Spotify API and a mirror provider (a folder plugin) whose search finds the first two songs by
    ISRC; the config that points the bundled lavasrc plugin at them."""
    shutil.copy(mirror_plugin.__file__, plugins_dir / "mirrorfake.py")
    catalog = Catalog([*SPOTIFY_SONGS, NO_MIRROR], mirrors=[
        Mirror(f"m{i}", s.title, s.artist, s.duration_ms, f"{media_url}/sweep.mp3", isrc=s.isrc, isrc_hits=(s.isrc,))
        for i, s in enumerate(SPOTIFY_SONGS)
    ])
    async with serve(lambda base: spotify_routes(catalog, base)) as spotify, serve(
        lambda base: mirror_routes(catalog)
    ) as mirror_server:
        yield {
            "lavalink": {"pluginsDir": str(plugins_dir)},
            "plugins": {
                "mirrorfake": {"url": mirror_server.url},
                "lavasrc": {
                    "providers": ['mirrorsearch:"%ISRC%"'],
                    "sources": {"spotify": True},
                    "spotify": {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "apiUrl": f"{spotify.url}/v1",
                                "tokenUrl": f"{spotify.url}/api/token"},
                },
            },
        }


async def mirror(node: RunningNode, http: aiohttp.ClientSession, song: Song) -> None:
    """A Spotify track played twice without voice (a mirror search, then the cached mirror), and one no provider
    has (a failed conversion)."""
    for identifier in (f"https://open.spotify.com/track/{song.spotify_id}",
                       f"https://open.spotify.com/track/{NO_MIRROR.spotify_id}"):
        async with http.get(node.url + "/v4/loadtracks", params={"identifier": identifier}, headers=node.auth) as r:
            result = await r.json()
        assert result["loadType"] == "track", result
        encoded = result["data"]["encoded"]
        socket, ready, _ = await connect(http, node)
        url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        found = identifier.endswith(song.spotify_id)
        for _ in range(2 if found else 1):
            before = await fallback_lookups(node, http)
            async with http.patch(url, json={"track": {"encoded": encoded}}, headers=node.auth) as response:
                assert response.status == 200
            await socket.event("TrackStartEvent")
            # The mirror is looked up when the player opens the track; wait for the lookup to be counted.
            for _ in range(200):
                if await fallback_lookups(node, http) > before:
                    break
                await asyncio.sleep(0.1)
            if found:
                async with http.patch(url, json={"track": {"encoded": None}}, headers=node.auth) as response:
                    assert response.status == 200
            end = await socket.event("TrackEndEvent", timeout=20)
            assert end["reason"] == ("stopped" if found else "loadFailed"), end
        await socket.close()


async def fallback_lookups(node: RunningNode, http: aiohttp.ClientSession) -> float:
    """Mirror lookups the node has counted: conversions plus mirrors answered from the cache."""
    async with http.get(node.url + "/metrics", headers=node.auth) as response:
        text = await response.text()
    return sum(sample.value for family in text_string_to_metric_families(text)
               if family.name in ("lavalink_fallback_conversions", "lavalink_fallback_cache_hits")
               for sample in family.samples if sample.name.endswith("_total"))


def shipped_scrape_config(address: str, password: str) -> tuple[ScrapeTarget, list[Path]]:
    """deploy/prometheus.yml as a new user adopts it: only the target and the password change (and the test
    scrapes every second instead of every 10 s)."""
    config = yaml.safe_load(SHIPPED_CONFIG.read_text())
    [job] = config["scrape_configs"]
    assert job["scheme"] == "http"
    target = ScrapeTarget(address, job["metrics_path"], job["basic_auth"]["username"], password, job["job_name"])
    assert target.job == JOB
    rule_files = sorted((SHIPPED_CONFIG.parent / path).resolve() for path in config["rule_files"])
    assert rule_files == sorted(RULES.glob("*.yml"))
    return target, rule_files


async def scrapes(prometheus: PrometheusServer, n: int) -> None:
    """Wait for `n` more successful scrapes of the node than Prometheus has now (one that timed out on a busy
    machine does not count: it would leave the series stale, not updated)."""
    expr = f'sum_over_time(up{{job="{JOB}"}}[5m])'
    done = int(float((await prometheus.query(expr))[0]["value"][1]))
    await prometheus.wait_until(expr, 60, lambda r: bool(r) and int(float(r[0]["value"][1])) >= done + n)


async def play_to_the_end(node: RunningNode, media_url: str) -> None:
    """A bot (lavalink.py) joins the fake Discord voice channel and plays the mp3 to a DAVE listener."""
    async with bot_in_voice(node, GUILD, "e2e", channel_id=CHANNEL, listener_ids=(LISTENER,)) as bot:
        track = (await bot.client.get_tracks(f"{media_url}/sweep.mp3")).tracks[0]
        await bot.player.play(track)
        ended = await bot.events.wait(lavalink.TrackEndEvent, timeout=SECONDS + 15)
        assert ended.reason == lavalink.EndReason.FINISHED
        assert bot.server.listeners[LISTENER].dave_failures == 0
        assert len(bot.server.listeners[LISTENER].frames) >= 0.9 * SECONDS * 50
        await bot.client.player_manager.destroy(GUILD)


async def misbehave(node: RunningNode, http: aiohttp.ClientSession, media_url: str) -> None:
    """Loads that succeed and fail, a track started and stopped without voice, refused credentials, a request
    that is not HTTP, and a client that breaks the WebSocket protocol."""
    results = {}
    for identifier in (f"{media_url}/sweep.mp3", "nothing-matches"):
        async with http.get(node.url + "/v4/loadtracks", params={"identifier": identifier}, headers=node.auth) as r:
            results[identifier] = await r.json()
    assert [result["loadType"] for result in results.values()] == ["track", "empty"]
    await start_and_stop(node, http, results[f"{media_url}/sweep.mp3"]["data"]["encoded"])
    async with http.get(node.url + "/v4/info", headers={"Authorization": "wrong"}) as response:
        assert response.status == 403
    await not_http(node)
    await broken_websocket_client(node)


async def not_http(node: RunningNode) -> None:
    """A request line no HTTP parser takes: aiohttp answers 400, the node counts it (lavalink_http_bad_requests)."""
    host, port = node.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"\x16\x03\x01 not http at all\r\n\r\n")
    head = await asyncio.wait_for(reader.read(), 5)  # the answer, until the server closes the connection
    assert head.split(b" ", 2)[1] == b"400", head
    writer.close()


async def start_and_stop(node: RunningNode, http: aiohttp.ClientSession, encoded: str) -> None:
    socket, ready, _ = await connect(http, node)
    url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
    for track, event in ((encoded, "TrackStartEvent"), (None, "TrackEndEvent")):
        async with http.patch(url, json={"track": {"encoded": track}}, headers=node.auth) as response:
            assert response.status == 200
        await socket.event(event)
    await socket.close()


async def broken_websocket_client(node: RunningNode) -> None:
    """Opens /v4/websocket by hand and sends a frame with a reserved opcode; the server must drop the socket."""
    reader, writer = await raw_session(node, "broken/1.0")
    writer.write(bytes([0x80 | 0x3, 0x80]) + os.urandom(4))  # FIN, opcode 3 (reserved), masked, empty
    await asyncio.wait_for(reader.read(), 5)  # everything until the server closes the connection
    writer.close()


def has_data(result: list[Sample]) -> bool:
    """Grafana draws nothing for an empty vector or for NaN (a quantile over buckets that did not move)."""
    return any(not math.isnan(float(sample["value"][1])) for sample in result)


@on_module_loop
async def test_every_dashboard_query_returns_data(stack: Stack) -> None:
    expressions = dashboard_expressions(JOB)
    assert len(expressions) > 40
    empty = {}
    for expression in expressions:
        # Without the idle-node zero: real activity must feed each panel.
        if not has_data(await stack.prometheus.query(expression.fed)):
            empty[expression.origin] = expression.fed
    assert sorted(empty) == sorted(UNFED_DASHBOARD_PANELS), empty


_COMPARISON = re.compile(r"^(?P<lhs>.*?)\s*(==|!=|>=|<=|>|<)\s*[0-9.]+\s*$", re.DOTALL)


@on_module_loop
async def test_every_rule_evaluates_and_reads_series_the_node_exports(stack: Stack) -> None:
    """An alert's expression is empty unless it fires, so each alert is split at its threshold and the left-hand
    side (the measured value, e.g. the frame loss ratio) must return data; the whole expression must evaluate."""
    prometheus = stack.prometheus
    rules = await prometheus.wait_for_rule_evaluation()
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    unfed = {}
    for expression in rule_expressions():
        name = expression.origin.split()[-1]
        match = _COMPARISON.match(expression.expr.strip())
        assert match is not None, f"{name}: no threshold to split at"
        fed = without_idle_zero(match["lhs"])
        if not has_data(await prometheus.query(fed)):
            unfed[name] = fed
    assert sorted(unfed) == sorted(UNFED_RULES), unfed
    # Nothing the test did should alert. Left out are the rules that read how busy this machine is, which the
    # test does not control: CPU, memory and loop lag; frame loss (a starved frame clock skips ticks); and the
    # node being down (a scrape that times out under load reads as `up == 0`).
    active = {r["name"]: r["state"] for r in rules if r["state"] != "inactive" and r["name"] not in LOAD_DEPENDENT}
    assert active == dict.fromkeys(EXPECTED_PENDING, "pending")


@on_module_loop
async def test_prometheus_sees_the_activity(stack: Stack) -> None:
    query = stack.prometheus.query

    async def value(expr: str) -> float:
        result = await query(f"sum({expr})")
        return float(result[0]["value"][1]) if result else 0.0

    assert await value(f'lavalink_tracks_loaded_total{{job="{JOB}", source="http"}}') == 3
    assert await value(f'lavalink_tracks_failed_total{{job="{JOB}", reason="not_found"}}') == 2
    # 3 plays of the mp3, and per round three of Spotify tracks (mirror() above).
    assert await value(f'lavalink_player_events_total{{job="{JOB}", type="start"}}') == 3 + MIRROR_PLAYS
    assert await value(f'lavalink_player_events_total{{job="{JOB}", type="end"}}') == 3 + MIRROR_PLAYS
    assert await value(f'lavalink_websocket_errors_total{{job="{JOB}", type="{WEBSOCKET_ERROR_TYPE}"}}') == 2
    assert await value(f'lavalink_player_duration_seconds_count{{job="{JOB}", type="track"}}') == 3 + MIRROR_PLAYS
    assert await value(f'lavalink_tracks_loaded_total{{job="{JOB}", source="spotify"}}') == 4
    assert await value(f'lavalink_fallback_conversions_total{{job="{JOB}", result="success"}}') == 2
    assert await value(f'lavalink_fallback_conversions_total{{job="{JOB}", result="failure"}}') == 2
    assert await value(f'lavalink_http_errors_total{{job="{JOB}", endpoint="/v4/info", status="403"}}') == 2
    assert await value(f'lavalink_collector_errors_total{{job="{JOB}", collector="failing"}}') >= 1


@on_module_loop
async def test_audio_frames_sent_are_counted(stack: Stack) -> None:
    sent = await stack.prometheus.query(f'lavalink_audio_frames_sent_total{{job="{JOB}"}}')
    assert sent and float(sent[0]["value"][1]) >= 0.9 * SECONDS * 50


def exported(text: str) -> dict[str, tuple[str, frozenset[str]]]:
    out = {}
    for family in text_string_to_metric_families(text):
        name = family.name + "_total" if family.type == "counter" else family.name
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        out[name] = (family.type, frozenset(labels))
    return out


@on_module_loop
async def test_docs_match_the_real_nodes_metrics(stack: Stack) -> None:
    docs, live = documented(), exported(stack.metrics_text)
    assert sorted(set(live) - set(docs)) == [], "exported but not documented"
    assert sorted(set(docs) - set(live)) == [], "documented but not exported"
    assert {n for n, (_, labels) in live.items() if not labels} & UNFED_FAMILIES == UNFED_FAMILIES
    mismatched = {
        name: (docs[name], live[name])
        for name in docs
        if docs[name][0] != live[name][0] or (name not in UNFED_FAMILIES and docs[name][1] != live[name][1])
    }
    assert mismatched == {}, "type or labels differ (docs, live)"


def test_the_player_collector_reads_the_frame_clock() -> None:
    clock, counters = FrameClock(), NodeCounters()
    clock.sent, clock.nulled = 40, 3
    counters.frames.sent, counters.frames.lost = 2, 1
    families = {
        m.name: m.samples[0].value
        for m in PlayerCollector(NoNodeState(), NoNodeState(), counters.player_events, counters.frames, clock).collect()
        if m.samples and not m.samples[0].labels
    }
    assert families["lavalink_audio_frames_sent"] == 42
    assert families["lavalink_audio_frames_lost"] == 1
    assert families["lavalink_audio_buffer_underruns"] == 3


def test_unfed_lists_name_real_panels_and_rules() -> None:
    origins = {e.origin for e in dashboard_expressions(JOB)}
    assert set(UNFED_DASHBOARD_PANELS) <= origins
    assert set(UNFED_RULES) <= {e.origin.split()[-1] for e in rule_expressions()}
