"""`timescale`: speed (1.0), pitch (1.0), rate (1.0), each greater than 0.
lavadsp `TimescalePcmAudioFilter` drives SoundTouch: setTempo(speed) (faster, same pitch), setPitch(pitch) (higher,
same length), setRate(rate) (both, like a faster turntable). So the output lasts source / (speed * rate) and its
pitch is pitch * rate. FFmpeg has the twin: `atempo` by speed/pitch changes the tempo alone (WSOLA, as
SoundTouch's TDStretch), then `asetrate` by pitch*rate + `aresample` back to 48 kHz change pitch and tempo together.
atempo takes 0.5-100 per instance, so a factor outside is split over several. The stage reports
speed * rate source samples per output sample: positions and the track's end follow the source, as in Lavalink.
"""

from __future__ import annotations

from lavalink_py.audio.filters.base import FfmpegStage, Stage
from lavalink_py.audio.filters.fields import Field, FieldFilter, Values, positive

SAMPLE_RATE = 48_000
ATEMPO_MIN, ATEMPO_MAX = 0.5, 100.0
FACTOR_MIN, FACTOR_MAX = 0.1, 10.0


def atempo_chain(tempo: float) -> list[tuple[str, str]]:
    steps: list[tuple[str, str]] = []
    while tempo < ATEMPO_MIN:
        steps.append(("atempo", str(ATEMPO_MIN)))
        tempo /= ATEMPO_MIN
    while tempo > ATEMPO_MAX:
        steps.append(("atempo", str(ATEMPO_MAX)))
        tempo /= ATEMPO_MAX
    if abs(tempo - 1.0) > 1e-9:
        steps.append(("atempo", repr(tempo)))
    return steps


class TimescaleFilter(FieldFilter):
    name = "timescale"
    fields = {  # noqa: RUF012
        "speed": Field(1.0, positive, "greater than 0.0"),
        "pitch": Field(1.0, positive, "greater than 0.0"),
        "rate": Field(1.0, positive, "greater than 0.0"),
    }

    def is_neutral(self, params: Values) -> bool:
        return params.is_default(self.fields)

    def stage(self, params: Values) -> Stage:
        # Lavalink takes any positive value; at 1e-6 the output would be a million times the track. The DSP (and the
        # position it reports) uses each factor within 0.1-10; the echo keeps what the client sent.
        speed, pitch, rate = (min(max(params[name], FACTOR_MIN), FACTOR_MAX) for name in ("speed", "pitch", "rate"))
        shift = pitch * rate
        # atempo first, on the 48 kHz input: after asetrate+aresample, some pairs (asetrate 4800, atempo 10) abort
        # inside FFmpeg (the whole process), while this order ran every pair of 0.01-100 x 0.01-100 cleanly.
        filters = atempo_chain(speed / pitch)
        if abs(shift - 1.0) > 1e-9:
            filters.append(("asetrate", str(max(1, round(SAMPLE_RATE * shift)))))
            filters.append(("aresample", str(SAMPLE_RATE)))
        return FfmpegStage(tuple(filters), speed=speed * rate)
