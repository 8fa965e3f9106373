"""`tremolo`: frequency Hz (2.0, greater than 0), depth (0.5, greater than 0 and at most 1).
lavadsp `TremoloPcmAudioFilter`: gain(t) = (1 - depth/2) + (depth/2) sin(2 pi f t), per channel, no clamp.
FFmpeg's `tremolo` is the twin (its table is cos(2 pi f t) * depth/2 + 1 - depth/2: a quarter period of phase
apart, same rate and depth); it accepts 0.1-20000 Hz, so a frequency outside is brought to that range.
"""

from __future__ import annotations

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values, positive

FFMPEG_MIN_HZ, FFMPEG_MAX_HZ = 0.1, 20000.0


def _depth(value: float) -> bool:
    return 0.0 < value <= 1.0


class TremoloFilter(FieldFilter):
    name = "tremolo"
    fields = {  # noqa: RUF012
        "frequency": Field(2.0, positive, "greater than 0.0"),
        "depth": Field(0.5, _depth, "greater than 0.0 and at most 1.0"),
    }

    def is_neutral(self, params: Values) -> bool:
        return params["depth"] == 0.0

    def stage(self, params: Values) -> Stage:
        frequency = min(max(params["frequency"], FFMPEG_MIN_HZ), FFMPEG_MAX_HZ)
        return FfmpegStage((("tremolo", f"f={frequency!r}:d={params['depth']!r}"),))
