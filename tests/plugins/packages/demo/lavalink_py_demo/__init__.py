"""A third-party plugin exercising every hook: a source (one of whose tracks breaks mid-stream), a filter (a gain,
or a crash), a route that emits a WebSocket event, a crashing route, a pluginInfo modifier, a collector, typed
config."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from aiohttp import web
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from lavalink_py.plugins.api import (
    LoadResult,
    NoMatches,
    NumpyStep,
    Pcm,
    PlaylistLoaded,
    PluginContext,
    RequestError,
    StreamSpec,
    Track,
    TrackInfo,
    TrackLoaded,
    make_track,
)

RATE = 48000


@dataclass(frozen=True, slots=True)
class DemoConfig:
    greeting: str = "hello"
    seconds: float = 3.0
    break_after_bytes: int = 96000  # demo:broken raises once this much was read (0.5 s of audio)


def wav_bytes(seconds: float, frequency_hz: float = 440.0) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * frequency_hz * t) * 0.3 * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.repeat(mono, 2).tobytes())
    return out.getvalue()


class BreakingFile(io.BytesIO):
    """A WAV that fails to read past `limit` bytes, as a plugin's network stream does when its server dies."""

    def __init__(self, data: bytes, limit: int) -> None:
        super().__init__(data)
        self.limit = limit

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() >= self.limit:
            raise ConnectionResetError("demo stream broke mid-track")
        return super().read(size)


class DemoSource:
    name = "demo"

    def __init__(self, config: DemoConfig) -> None:
        self.config = config
        self.loads = 0

    async def load_item(self, identifier: str) -> LoadResult | None:
        if not identifier.startswith("demo:"):
            return None
        self.loads += 1
        what = identifier.removeprefix("demo:")
        if what == "crash":
            raise RuntimeError("demo source crashed while loading")
        if not what:
            return NoMatches()
        info = TrackInfo(what, "demo", int(self.config.seconds * 1000), f"demo:{what}", False, None, self.name)
        return TrackLoaded(make_track(info, {"demoKind": what}))

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        data = wav_bytes(self.config.seconds)
        if info.identifier == "demo:broken":
            limit = self.config.break_after_bytes
            return StreamSpec(url=info.identifier, open_file=lambda: BreakingFile(data, limit))
        return StreamSpec(url=info.identifier, open_file=lambda: io.BytesIO(data))


class SeenBy:
    """Adds {"seenBy": "demo"} to every loaded track, whatever its source."""

    def track(self, track: Track) -> Mapping[str, Any] | None:
        return {"seenBy": "demo"}

    def playlist(self, playlist: PlaylistLoaded) -> Mapping[str, Any] | None:
        return None


class LoadsCollector:
    def __init__(self, source: DemoSource) -> None:
        self.source = source

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily("lavalink_demo_loads", "Identifiers the demo source answered")

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("lavalink_demo_loads", "Identifiers the demo source answered")
        family.add_metric([], self.source.loads)
        yield family


@dataclass(frozen=True, slots=True)
class GainParams:
    gain: float
    crash: bool


class GainStage:
    def __init__(self, params: GainParams, counts: dict[str, int]) -> None:
        self.params = params
        self.counts = counts

    def process(self, block: Pcm) -> Pcm:
        if self.params.crash:
            raise FloatingPointError("demo filter crashed")
        self.counts["blocks"] += 1
        out: Pcm = block * np.float32(self.params.gain)
        return out


class GainFilter:
    """`filters.pluginFilters.demoGain`: {"gain": 0-1, "crash": false}."""

    name = "demoGain"

    def __init__(self) -> None:
        self.counts = {"blocks": 0}

    def parse(self, value: Any, where: str) -> GainParams:
        if not isinstance(value, dict):
            raise RequestError(f"{where}: expected an object")
        gain, crash = value.get("gain", 1.0), value.get("crash", False)
        if isinstance(gain, bool) or not isinstance(gain, int | float) or not 0 <= gain <= 1:
            raise RequestError(f"{where}.gain: expected a number from 0 to 1")
        if not isinstance(crash, bool):
            raise RequestError(f"{where}.crash: expected true or false")
        return GainParams(float(gain), crash)

    def to_json(self, params: GainParams) -> Any:
        return {"gain": params.gain, "crash": params.crash}

    def is_neutral(self, params: GainParams) -> bool:
        return params.gain == 1.0 and not params.crash

    def stage(self, params: GainParams) -> NumpyStep:
        return NumpyStep(lambda: GainStage(params, self.counts))


class DemoPlugin:
    name = "demo"
    version = "2.3.4"

    def setup(self, context: PluginContext) -> None:
        config = context.config(DemoConfig)
        source = DemoSource(config)
        context.add_source(source, search_prefixes=["demosearch:"])
        context.add_plugin_info(SeenBy())
        context.add_collector("demo", LoadsCollector(source))
        gain = GainFilter()
        context.add_filter(gain)

        async def filtered(_request: web.Request) -> web.Response:
            return web.json_response(gain.counts)

        context.add_route("GET", "/v4/demo/filtered", filtered)

        async def ping(request: web.Request) -> web.Response:
            session_id, guild_id = request.match_info["session_id"], int(request.match_info["guild_id"])
            sent = context.emit_event(session_id, guild_id, "DemoPingEvent", {"greeting": config.greeting})
            if not sent:
                raise web.HTTPNotFound()
            return web.Response(status=204)

        async def crash(_request: web.Request) -> web.Response:
            raise ZeroDivisionError("the demo route divides by zero")

        context.add_route("POST", "/v4/sessions/{session_id}/players/{guild_id}/demo/ping", ping)
        context.add_route("GET", "/v4/demo/crash", crash)
