"""The route planner on the wire: a node configured with an IPv4 block inside 127.0.0.0/8 (every address there is
loopback on Linux), a local HTTP server that sees each request's source address and answers 429 to chosen ones,
and the node's /v4/routeplanner endpoints."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import av
import lavalink
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from lavalink_py.config.settings import RateLimitSettings
from lavalink_py.plugins.context import PluginInfoLoader
from lavalink_py.protocol.routeplanner import java_date
from lavalink_py.protocol.track_codec import decode_track
from lavalink_py.sources.registry import SourceRegistry
from lavalink_py.sources.routing.outbound import build_outbound
from lavalink_py.sources.ytdlp import ExtractRequest, YtdlpRunner, ytdlp_extract
from tests.node import USER_ID, NodeFactory, RunningNode, connect, wait_until
from tests.routing.sites import Site

GUILD = "1100000000000000001"


def ratelimit(strategy: str = "RotateOnBan", blocks: tuple[str, ...] = ("127.0.10.8/29",), **more: Any
              ) -> dict[str, Any]:
    return {"lavalink": {"server": {"ratelimit": {"ipBlocks": list(blocks), "strategy": strategy, **more}}}}


async def load(http: aiohttp.ClientSession, node: RunningNode, identifier: str) -> dict[str, Any]:
    async with http.get(node.url + "/v4/loadtracks", params={"identifier": identifier}, headers=node.auth) as resp:
        assert resp.status == 200
        body: dict[str, Any] = await resp.json()
        return body


async def status(http: aiohttp.ClientSession, node: RunningNode) -> dict[str, Any]:
    async with http.get(node.url + "/v4/routeplanner/status", headers=node.auth) as resp:
        assert resp.status == 200, await resp.text()
        body: dict[str, Any] = await resp.json()
        return body


async def post(http: aiohttp.ClientSession, node: RunningNode, path: str, body: Any = None) -> tuple[int, Any]:
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    async with http.post(node.url + "/v4/routeplanner/" + path, headers=node.auth, **kwargs) as resp:
        return resp.status, (await resp.json() if resp.content_type == "application/json" else None)


class TestRotateOnBan:
    async def test_a_429_marks_the_address_failing_and_the_next_one_serves(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit())
        site.banned = {"127.0.10.8"}
        result = await load(http, node, site.url + "/tone.mp3")
        assert result["loadType"] == "track"
        # The GET from .8 was refused; the GET and FFmpeg's probe then came from .9.
        assert site.peers == ["127.0.10.8", "127.0.10.9", "127.0.10.9"]
        details = (await status(http, node))["details"]
        [failing] = details["failingAddresses"]
        assert failing["failingAddress"] == "/127.0.10.8"
        assert failing["failingTime"] == java_date(failing["failingTimestamp"])
        assert details | {"failingAddresses": []} == {
            "ipBlock": {"type": "Inet4Address", "size": "8"},
            "failingAddresses": [],
            "rotateIndex": "1",
            "ipIndex": "2",
            "currentAddress": "/127.0.10.9",
        }

    async def test_playback_opens_from_the_planners_address(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit(excludedIps=["127.0.10.8"]))
        result = await load(http, node, site.url + "/tone.mp3")
        loader = node.node.loader
        # The built-in sources register through the plugin layer, which wraps the registry.
        assert isinstance(loader, PluginInfoLoader)
        assert isinstance(loader.sources, SourceRegistry)
        spec = await loader.open_stream(decode_track(result["data"]["encoded"]))
        assert spec.options["local_addr"] == "127.0.10.9"
        await asyncio.to_thread(functools.partial(_read_all, spec.url, spec.options))
        # The load's GET and probe, open_stream's Range check, then the playback read: all from the planner.
        assert site.peers == ["127.0.10.9"] * 4

    async def test_free_address_and_free_all(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit())
        site.banned = {"127.0.10.8", "127.0.10.9"}
        assert (await load(http, node, site.url + "/tone.mp3"))["loadType"] == "track"
        failing = [f["failingAddress"] for f in (await status(http, node))["details"]["failingAddresses"]]
        assert failing == ["/127.0.10.8", "/127.0.10.9"]
        assert await post(http, node, "free/address", {"address": "127.0.10.8"}) == (204, None)
        failing = [f["failingAddress"] for f in (await status(http, node))["details"]["failingAddresses"]]
        assert failing == ["/127.0.10.9"]
        assert await post(http, node, "free/all") == (204, None)
        assert (await status(http, node))["details"]["failingAddresses"] == []

    async def test_bad_free_requests_change_nothing(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit())
        site.banned = {"127.0.10.8"}
        await load(http, node, site.url + "/tone.mp3")
        code, body = await post(http, node, "free/address", {"address": "no such host.invalid"})
        assert (code, body["message"]) == (400, "Invalid address: no such host.invalid: Name or service not known")
        code, body = await post(http, node, "free/address", {})
        assert code == 400 and "Field 'address' is required" in body["message"]
        code, body = await post(http, node, "free/address", {"address": 5})
        assert code == 400
        code, body = await post(http, node, "free/address", [])
        assert code == 400
        assert len((await status(http, node))["details"]["failingAddresses"]) == 1


def _read_all(url: str, options: dict[str, str]) -> None:
    with av.open(url, options=options, timeout=10) as container:
        for _ in container.demux(audio=0):
            pass


class TestLoadBalance:
    async def test_random_addresses_until_one_is_not_limited(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit("LoadBalance", retryLimit=0))
        site.banned = {f"127.0.10.{n}" for n in range(8, 16) if n != 13}
        assert (await load(http, node, site.url + "/tone.mp3"))["loadType"] == "track"
        assert site.peers[-2:] == ["127.0.10.13", "127.0.10.13"] or site.peers[-1] == "127.0.10.13"
        assert all(peer.startswith("127.0.10.") and 8 <= int(peer.rsplit(".", 1)[1]) < 16 for peer in site.peers)
        body = await status(http, node)
        assert body["class"] == "BalancingIpRoutePlanner"
        failing = {f["failingAddress"] for f in body["details"]["failingAddresses"]}
        assert failing == {"/" + peer for peer in site.peers if peer in site.banned}
        assert set(body["details"]) == {"ipBlock", "failingAddresses"}


class TestRetryLimit:
    @pytest.mark.parametrize(("limit", "attempts"), [(2, 3), (-1, 8)])
    async def test_retries_stop_at_the_limit(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site, limit: int, attempts: int
    ) -> None:
        # -1 is lavaplayer's default of 10 retries; the /29 runs out of addresses after 8, which fails the load.
        node = await make_node(ratelimit(retryLimit=limit))
        site.banned = {f"127.0.10.{n}" for n in range(8, 16)}
        result = await load(http, node, site.url + "/tone.mp3")
        assert result["loadType"] == "error"
        assert len(site.peers) == attempts


class TestConfiguration:
    async def test_without_ip_blocks_there_is_no_planner(self, make_node: NodeFactory,
                                                         http: aiohttp.ClientSession, site: Site) -> None:
        node = await make_node({"lavalink": {"server": {"ratelimit": {"strategy": "LoadBalance"}}}})
        async with http.get(node.url + "/v4/routeplanner/status", headers=node.auth) as resp:
            assert resp.status == 204
        await load(http, node, site.url + "/tone.mp3")
        assert site.peers == ["127.0.0.1", "127.0.0.1"]

    @pytest.mark.parametrize(("strategy", "name", "extra"), [
        ("NanoSwitch", "NanoIpRoutePlanner", {"currentAddressIndex"}),
        ("RotatingNanoSwitch", "RotatingNanoIpRoutePlanner", {"blockIndex", "currentAddressIndex"}),
    ])
    async def test_nano_strategies_report_their_ipv6_block(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, strategy: str, name: str, extra: set[str]
    ) -> None:
        node = await make_node(ratelimit(strategy, ("2001:db8::/64",)))
        body = await status(http, node)
        assert body["class"] == name
        assert body["details"]["ipBlock"] == {"type": "Inet6Address", "size": str(1 << 64)}
        assert set(body["details"]) == {"ipBlock", "failingAddresses", *extra}
        assert all(body["details"][key].isdigit() for key in extra)



class TestYtdlp:
    """yt-dlp's own requests bind the planner's address through `source_address`; its HTTP 429 rotates."""

    @pytest.fixture
    def executor(self) -> Iterator[ThreadPoolExecutor]:
        with ThreadPoolExecutor(1) as pool:
            yield pool

    def runner(self, executor: ThreadPoolExecutor, **settings: Any) -> YtdlpRunner:
        outbound = build_outbound(RateLimitSettings(ip_blocks=("127.0.10.8/29",), **settings))
        return YtdlpRunner(executor, ytdlp_extract, timeout_s=30, socket_timeout_s=10, outbound=outbound)

    async def test_a_429_rotates_to_the_next_address(self, executor: ThreadPoolExecutor, site: Site) -> None:
        runner = self.runner(executor)
        site.banned = {"127.0.10.8"}
        info = await runner.run(ExtractRequest(site.url + "/page"))
        assert info["formats"] or info["url"]
        assert site.peers[:2] == ["127.0.10.8", "127.0.10.9"]
        assert set(site.peers[1:]) == {"127.0.10.9"}
        status = runner.outbound.status()
        assert status is not None and [f.address for f in status.failing] == ["/127.0.10.8"]

    @pytest.mark.parametrize(("triggers", "peers", "failing"), [
        (True, ["127.0.10.8", "127.0.10.9"], ["/127.0.10.8"]),
        (False, ["127.0.10.8", "127.0.10.8"], []),
    ])
    async def test_search_triggers_fail(
        self, executor: ThreadPoolExecutor, site: Site, triggers: bool, peers: list[str], failing: list[str]
    ) -> None:
        runner = self.runner(executor, search_triggers_fail=triggers, retry_limit=1)
        site.banned = {"127.0.10.8"}
        try:
            await runner.run(ExtractRequest(site.url + "/page", search=True))
        except Exception:
            assert not triggers  # the same address again, still limited: the retry is spent
        assert site.peers[:2] == peers
        status = runner.outbound.status()
        assert status is not None and [f.address for f in status.failing] == failing


class TestLavalinkPy:
    """lavalink.py drives the route planner through its own API."""

    async def test_status_and_free_through_the_client(self, make_node: NodeFactory, site: Site) -> None:
        node = await make_node(ratelimit())
        site.banned = {"127.0.10.8"}
        client = lavalink.Client(int(USER_ID))
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        async def hook(event: lavalink.Event) -> None:
            if isinstance(event, lavalink.NodeReadyEvent) and not ready.done():
                ready.set_result(None)

        client.add_event_hook(hook)
        port = int(node.url.rsplit(":", 1)[1])
        lavalink_node = client.add_node("127.0.0.1", port, node.password, "eu", "routed")
        try:
            await asyncio.wait_for(ready, 10)
            result = await lavalink_node.get_tracks(site.url + "/tone.mp3")
            assert result.load_type == lavalink.LoadType.TRACK
            status = await lavalink_node.get_routeplanner_status()
            assert status is not None and status["class"] == "RotatingIpRoutePlanner"
            assert [f["failingAddress"] for f in status["details"]["failingAddresses"]] == ["/127.0.10.8"]
            assert await lavalink_node.routeplanner_free_address("127.0.10.8") is True
            status = await lavalink_node.get_routeplanner_status()
            assert status is not None and status["details"]["failingAddresses"] == []
            assert await lavalink_node.routeplanner_free_all_failing() is True
        finally:
            await client.close()


class TestPlayback:
    async def test_a_429_at_playback_is_opened_again_from_the_next_address_and_plays(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit())
        encoded = (await load(http, node, site.url + "/tone.mp3"))["data"]["encoded"]
        assert site.peers == ["127.0.10.8", "127.0.10.8"]
        site.banned_media = {"127.0.10.8"}
        socket, ready, _ = await connect(http, node)
        player_url = f"{node.url}/v4/sessions/{ready['sessionId']}/players/{GUILD}"
        async with http.patch(player_url, json={"track": {"encoded": encoded}}, headers=node.auth) as response:
            assert response.status == 200
        await socket.event("TrackStartEvent", 10)
        await wait_until(lambda: "127.0.10.9" in site.peers)
        # open_stream's Range check from .8 passes; the open from .8 meets the 429, the one from .9 plays (heard
        # to its end in test_routed_media, which pumps the audio engine as a voice connection would).
        assert site.peers[2:] == ["127.0.10.8", "127.0.10.8", "127.0.10.9"]
        details = (await status(http, node))["details"]
        assert [entry["failingAddress"] for entry in details["failingAddresses"]] == ["/127.0.10.8"]
        async with http.get(player_url, headers=node.auth) as response:
            assert (await response.json())["track"]["encoded"] == encoded  # not ended loadFailed


class TestIpv6:
    @pytest.fixture
    async def site6(self) -> AsyncIterator[Site]:
        fake = Site()
        app = web.Application()
        app.router.add_get("/{name}", fake.handle)
        server = TestServer(app, host="::1")
        await server.start_server()
        fake.url = f"http://[::1]:{server.port}"
        try:
            yield fake
        finally:
            await server.close()

    async def test_an_ipv6_block_binds_ipv6(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site6: Site
    ) -> None:
        node = await make_node(ratelimit(blocks=("::1/128",)))
        assert (await load(http, node, site6.url + "/tone.mp3"))["loadType"] == "track"
        assert site6.peers == ["::1", "::1"]
        details = (await status(http, node))["details"]
        assert details["ipBlock"] == {"type": "Inet6Address", "size": "1"}
        assert details["currentAddress"] == "/0:0:0:0:0:0:0:1"

    async def test_an_ipv4_only_host_falls_back_to_the_systems_address(
        self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site
    ) -> None:
        node = await make_node(ratelimit("NanoSwitch", ("2001:db8::/64",)))
        assert (await load(http, node, site.url + "/tone.mp3"))["loadType"] == "track"
        assert site.peers == ["127.0.0.1", "127.0.0.1"]


class TestUnbindable:
    """An address the machine does not have (EADDRNOTAVAIL, Java's BindException) is marked failing too."""

    async def test_http_source(self, make_node: NodeFactory, http: aiohttp.ClientSession, site: Site) -> None:
        node = await make_node(ratelimit(blocks=("192.0.2.0/31",)))  # TEST-NET-1: never a local address
        result = await load(http, node, site.url + "/tone.mp3")
        assert result["loadType"] == "error"
        assert site.peers == []
        failing = {f["failingAddress"] for f in (await status(http, node))["details"]["failingAddresses"]}
        assert failing == {"/192.0.2.0", "/192.0.2.1"}

    async def test_ytdlp(self, site: Site) -> None:
        with ThreadPoolExecutor(1) as executor:
            outbound = build_outbound(RateLimitSettings(ip_blocks=("192.0.2.0/31", "192.0.2.4/32")))
            runner = YtdlpRunner(executor, ytdlp_extract, timeout_s=30, socket_timeout_s=10, outbound=outbound)
            with pytest.raises(Exception, match="free ip"):
                await runner.run(ExtractRequest(site.url + "/page"))
        status = outbound.status()
        assert status is not None
        assert {f.address for f in status.failing} == {"/192.0.2.0", "/192.0.2.1", "/192.0.2.4"}
