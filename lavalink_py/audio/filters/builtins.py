"""The built-in filters, registered in Lavalink's chain order (`FilterChain.buildList`)."""

from __future__ import annotations

from lavalink_py.audio.filters.channel_mix import ChannelMixFilter
from lavalink_py.audio.filters.distortion import DistortionFilter
from lavalink_py.audio.filters.equalizer import EqualizerFilter
from lavalink_py.audio.filters.karaoke import KaraokeFilter
from lavalink_py.audio.filters.low_pass import LowPassFilter
from lavalink_py.audio.filters.registry import FilterRegistry
from lavalink_py.audio.filters.rotation import RotationFilter
from lavalink_py.audio.filters.timescale import TimescaleFilter
from lavalink_py.audio.filters.tremolo import TremoloFilter
from lavalink_py.audio.filters.vibrato import VibratoFilter
from lavalink_py.audio.filters.volume import VolumeFilter


def register_builtins(registry: FilterRegistry) -> None:
    for spec in (
        VolumeFilter(),
        EqualizerFilter(),
        KaraokeFilter(),
        TimescaleFilter(),
        TremoloFilter(),
        VibratoFilter(),
        DistortionFilter(),
        RotationFilter(),
        ChannelMixFilter(),
        LowPassFilter(),
    ):
        registry.register(spec)


def default_registry() -> FilterRegistry:
    registry = FilterRegistry()
    register_builtins(registry)
    return registry
