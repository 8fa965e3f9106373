"""Example plugin: a `tone` source that plays sine tones made in Python, and a route that lists what it played.

Copy this file to the plugins folder (`lavalink.pluginsDir`, ./plugins by default) as `tone.py` to load it, or
install it as a package with an entry point in the `lavalink_py.plugins` group (see docs/plugins.md).

    plugins:
      tone:
        seconds: 5        # length of every tone
        amplitude: 0.3    # 0-1

Identifiers: `tone:440` (a 440 Hz tone) and the search prefix `tonesearch:440 880` (one track per frequency).
Route: `GET /v4/tone/played` -> {"played": [440, ...]}. pluginInfo: every tone carries {"frequencyHz": 440}.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web

from lavalink_py.plugins.api import (
    LoadResult,
    NoMatches,
    PluginContext,
    SearchLoaded,
    StreamSpec,
    TrackInfo,
    TrackLoaded,
    make_track,
)

RATE = 48000


@dataclass(frozen=True, slots=True)
class ToneConfig:
    seconds: float = 5.0
    amplitude: float = 0.3


def tone_wav(frequency_hz: float, seconds: float, amplitude: float) -> bytes:
    t = np.arange(int(RATE * seconds)) / RATE
    mono = (np.sin(2 * np.pi * frequency_hz * t) * amplitude * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(np.repeat(mono, 2).tobytes())
    return out.getvalue()


@dataclass
class ToneSource:
    config: ToneConfig
    played: list[float] = field(default_factory=list)
    name: str = "tone"

    def _track_info(self, frequency_hz: float) -> TrackInfo:
        return TrackInfo(
            title=f"{frequency_hz:g} Hz", author="tone plugin", length_ms=int(self.config.seconds * 1000),
            identifier=f"tone:{frequency_hz:g}", is_stream=False, uri=None, source_name=self.name,
        )

    async def load_item(self, identifier: str) -> LoadResult | None:
        if identifier.startswith("tonesearch:"):
            found = [f for f in map(_frequency, identifier.removeprefix("tonesearch:").split()) if f is not None]
            tracks = [make_track(self._track_info(f), {"frequencyHz": f}) for f in found]
            return SearchLoaded(tracks) if tracks else NoMatches()
        if not identifier.startswith("tone:"):
            return None  # not ours: the next source is asked
        frequency = _frequency(identifier.removeprefix("tone:"))
        if frequency is None:
            return NoMatches()
        return TrackLoaded(make_track(self._track_info(frequency), {"frequencyHz": frequency}))

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        frequency = float(info.identifier.removeprefix("tone:"))
        self.played.append(frequency)
        data = tone_wav(frequency, self.config.seconds, self.config.amplitude)
        return StreamSpec(url=f"tone:{frequency:g}", open_file=lambda: io.BytesIO(data))


def _frequency(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 20 <= value <= 20000 else None


class TonePlugin:
    name = "tone"
    version = "1.0.0"

    def setup(self, context: PluginContext) -> None:
        source = ToneSource(context.config(ToneConfig))
        context.add_source(source, search_prefixes=["tonesearch:"])

        async def played(_request: web.Request) -> web.Response:
            return web.json_response({"played": source.played})

        context.add_route("GET", "/v4/tone/played", played)


plugin = TonePlugin
