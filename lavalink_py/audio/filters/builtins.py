"""The built-in filters, registered in Lavalink's chain order (`FilterChain.buildList`), then those beyond Lavalink."""

from __future__ import annotations

from lavalink_py.audio.filters.channel_mix import ChannelMixFilter
from lavalink_py.audio.filters.chorus import ChorusFilter
from lavalink_py.audio.filters.compressor import CompressorFilter
from lavalink_py.audio.filters.distortion import DistortionFilter
from lavalink_py.audio.filters.echo import EchoFilter
from lavalink_py.audio.filters.equalizer import EqualizerFilter
from lavalink_py.audio.filters.highpass import HighPassFilter
from lavalink_py.audio.filters.karaoke import KaraokeFilter
from lavalink_py.audio.filters.loudness import LoudnessFilter
from lavalink_py.audio.filters.low_pass import LowPassFilter
from lavalink_py.audio.filters.phaser import PhaserFilter
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
        # Beyond Lavalink: shaping, then the effects, then dynamics; loudness last so it measures what is heard.
        HighPassFilter(),
        EchoFilter(),
        ChorusFilter(),
        PhaserFilter(),
        CompressorFilter(),
        LoudnessFilter(),
    ):
        registry.register(spec)


def default_registry() -> FilterRegistry:
    registry = FilterRegistry()
    register_builtins(registry)
    return registry
