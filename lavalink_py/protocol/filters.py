"""Lavalink's Filters object: parsed and validated from a PATCH body, echoed back in the Player object.

A PATCH replaces the whole set. A filter given as `null` is the same as not given (Lavalink's
`ifPresentAndNotNull`). Echoed filters carry every field, defaults included (Lavalink 4.1+ `@EncodeDefault`).
Ranges are those Lavalink documents; out of range is a RequestError naming the field. Unknown keys are ignored, as
Lavalink's JSON mapper does (`ignoreUnknownKeys`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from lavalink_py.protocol.validation import RequestError, check_int, check_number, expect_object

FILTER_NAMES: Final = (
    "volume",
    "equalizer",
    "karaoke",
    "timescale",
    "tremolo",
    "vibrato",
    "distortion",
    "rotation",
    "channelMix",
    "lowPass",
)
EQUALIZER_BANDS: Final = 15

# name -> (default, validity check, human description of the range)
Range = tuple[float, Callable[[float], bool], str]
_ANY: Final[Callable[[float], bool]] = lambda _v: True  # noqa: E731
_UNIT: Final[Callable[[float], bool]] = lambda v: 0.0 <= v <= 1.0  # noqa: E731
_NON_NEGATIVE: Final[Callable[[float], bool]] = lambda v: v >= 0.0  # noqa: E731
_POSITIVE: Final[Callable[[float], bool]] = lambda v: v > 0.0  # noqa: E731

FILTER_FIELDS: Final[dict[str, dict[str, Range]]] = {
    "karaoke": {
        "level": (1.0, _UNIT, "from 0.0 to 1.0"),
        "monoLevel": (1.0, _UNIT, "from 0.0 to 1.0"),
        "filterBand": (220.0, _ANY, "any number"),
        "filterWidth": (100.0, _ANY, "any number"),
    },
    "timescale": {
        "speed": (1.0, _NON_NEGATIVE, "at least 0.0"),
        "pitch": (1.0, _NON_NEGATIVE, "at least 0.0"),
        "rate": (1.0, _NON_NEGATIVE, "at least 0.0"),
    },
    "tremolo": {
        "frequency": (2.0, _POSITIVE, "greater than 0.0"),
        "depth": (0.5, lambda v: 0.0 < v <= 1.0, "greater than 0.0 and at most 1.0"),
    },
    "vibrato": {
        "frequency": (2.0, lambda v: 0.0 < v <= 14.0, "greater than 0.0 and at most 14.0"),
        "depth": (0.5, lambda v: 0.0 < v <= 1.0, "greater than 0.0 and at most 1.0"),
    },
    "rotation": {"rotationHz": (0.0, _ANY, "any number")},
    "distortion": {
        name: (default, _ANY, "any number")
        for name, default in (
            ("sinOffset", 0.0),
            ("sinScale", 1.0),
            ("cosOffset", 0.0),
            ("cosScale", 1.0),
            ("tanOffset", 0.0),
            ("tanScale", 1.0),
            ("offset", 0.0),
            ("scale", 1.0),
        )
    },
    "channelMix": {
        "leftToLeft": (1.0, _UNIT, "from 0.0 to 1.0"),
        "leftToRight": (0.0, _UNIT, "from 0.0 to 1.0"),
        "rightToLeft": (0.0, _UNIT, "from 0.0 to 1.0"),
        "rightToRight": (1.0, _UNIT, "from 0.0 to 1.0"),
    },
    "lowPass": {"smoothing": (20.0, _ANY, "any number")},
}


@dataclass(frozen=True, slots=True)
class Filters:
    """The player's filter set. Each parametric filter is a complete mapping of its fields, or absent."""

    volume: float | None = None
    equalizer: tuple[tuple[int, float], ...] | None = None
    params: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    plugin_filters: Mapping[str, Any] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Filters present in this set, in Lavalink's order (for the disabled-filter check)."""
        present = [name for name in FILTER_NAMES if self._has(name)]
        return present + list(self.plugin_filters)

    def _has(self, name: str) -> bool:
        if name == "volume":
            return self.volume is not None
        if name == "equalizer":
            return self.equalizer is not None
        return name in self.params

    @property
    def is_active(self) -> bool:
        """Whether any filter alters the audio (decides Opus passthrough)."""
        if self.volume is not None and self.volume != 1.0:
            return True
        if self.equalizer is not None and any(gain != 0.0 for _, gain in self.equalizer):
            return True
        return bool(self.params) or bool(self.plugin_filters)


NO_FILTERS: Final = Filters()


def parse_filters(value: Any, where: str = "filters") -> Filters:
    obj = expect_object(value, where)
    volume: float | None = None
    if obj.get("volume") is not None:
        volume = check_number(obj["volume"], f"{where}.volume")
        if not 0.0 <= volume <= 5.0:
            raise RequestError(f"{where}.volume: expected a number from 0.0 to 5.0, got {obj['volume']}")
    equalizer = _parse_equalizer(obj["equalizer"], f"{where}.equalizer") if obj.get("equalizer") is not None else None
    params = {
        name: _parse_params(name, obj[name], f"{where}.{name}")
        for name in FILTER_FIELDS
        if obj.get(name) is not None
    }
    # Lavalink's `pluginFilters: Map<String, JsonElement>` is not nullable: anything but an object is a 400
    # (kotlinx refuses [], 0, "", false and null alike), never "no plugin filters".
    plugin_filters = expect_object(obj.get("pluginFilters", {}), f"{where}.pluginFilters")
    return Filters(volume, equalizer, params, dict(plugin_filters))


def _parse_equalizer(value: Any, where: str) -> tuple[tuple[int, float], ...]:
    if not isinstance(value, list):
        raise RequestError(f"{where}: expected an array of bands")
    gains: dict[int, float] = {}
    for index, item in enumerate(value):
        band_obj = expect_object(item, f"{where}[{index}]")
        if "band" not in band_obj:
            raise RequestError(f"{where}[{index}].band: required")
        band = check_int(band_obj["band"], f"{where}[{index}].band", minimum=0, maximum=EQUALIZER_BANDS - 1)
        # Lavalink's Band deserializes a missing gain as 1.0.
        gain = check_number(band_obj.get("gain", 1.0), f"{where}[{index}].gain")
        if not -0.25 <= gain <= 1.0:
            raise RequestError(f"{where}[{index}].gain: expected a number from -0.25 to 1.0, got {gain}")
        gains[band] = gain
    return tuple(gains.items())


def _parse_params(name: str, value: Any, where: str) -> dict[str, float]:
    obj = expect_object(value, where)
    spec = FILTER_FIELDS[name]
    out: dict[str, float] = {}
    for key, (default, valid, description) in spec.items():
        number = default if obj.get(key) is None else check_number(obj[key], f"{where}.{key}")
        if not valid(number):
            raise RequestError(f"{where}.{key}: expected a number {description}, got {obj[key]}")
        out[key] = number
    return out


def filters_json(filters: Filters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if filters.volume is not None:
        out["volume"] = filters.volume
    if filters.equalizer is not None:
        out["equalizer"] = [{"band": band, "gain": gain} for band, gain in filters.equalizer]
    for name in FILTER_FIELDS:
        if name in filters.params:
            out[name] = dict(filters.params[name])
    if filters.plugin_filters:
        out["pluginFilters"] = dict(filters.plugin_filters)
    return out
