"""Plain counters the hot paths bump; collectors read them on scrape.

Everything here is ints, floats and dicts: no prometheus objects and no locks. All writers run on the event loop
(handlers, the frame clock), so a bump is a plain attribute update. Labelled counters cap their number of label
sets, because a caller passing an unbounded value (a raw path, a user id) must not grow memory or the scrape
without bound: label sets past the cap are folded into one `"other"` set.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)

OTHER = "other"
DEFAULT_MAX_LABEL_SETS = 500

# Seconds: from a fast in-memory REST answer to a slow remote track resolution.
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Bytes: a tiny JSON answer up to a large playlist.
SIZE_BUCKETS_BYTES = (64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0)
# Seconds: a skipped track up to a 24/7 stream session.
PLAY_DURATION_BUCKETS_S = (1.0, 10.0, 30.0, 60.0, 180.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0, 86400.0)


class Histogram:
    """Bucket counts for one label set; `counts[i]` holds observations in (bounds[i-1], bounds[i]]."""

    __slots__ = ("bounds", "count", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # last slot is +Inf
        self.sum = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def cumulative(self) -> list[tuple[str, float]]:
        """Buckets as prometheus-client's HistogramMetricFamily wants them: (le, cumulative count)."""
        out: list[tuple[str, float]] = []
        running = 0
        for bound, n in zip(self.bounds, self.counts, strict=False):
            running += n
            out.append((_format_bound(bound), float(running)))
        out.append(("+Inf", float(self.count)))
        return out


def _format_bound(bound: float) -> str:
    return repr(float(bound))


class KeyedCounts(Generic[K]):
    """Counts per label set, capped at `max_keys` distinct sets (the rest land on `overflow`)."""

    __slots__ = ("_overflow", "max_keys", "values")

    def __init__(self, overflow: K, max_keys: int = DEFAULT_MAX_LABEL_SETS) -> None:
        self.values: dict[K, int] = {}
        self.max_keys = max_keys
        self._overflow = overflow

    def add(self, key: K, n: int = 1) -> None:
        values = self.values
        if key not in values:
            if len(values) >= self.max_keys:
                key = self._overflow
            values.setdefault(key, 0)
        values[key] += n

    def items(self) -> Iterator[tuple[K, int]]:
        return iter(list(self.values.items()))


class KeyedHistograms(Generic[K]):
    """One Histogram per label set, capped like KeyedCounts."""

    __slots__ = ("_overflow", "bounds", "max_keys", "values")

    def __init__(self, bounds: tuple[float, ...], overflow: K, max_keys: int = DEFAULT_MAX_LABEL_SETS) -> None:
        self.values: dict[K, Histogram] = {}
        self.bounds = bounds
        self.max_keys = max_keys
        self._overflow = overflow

    def observe(self, key: K, value: float) -> None:
        hist = self.values.get(key)
        if hist is None:
            if len(self.values) >= self.max_keys:
                key = self._overflow
            hist = self.values.setdefault(key, Histogram(self.bounds))
        hist.observe(value)

    def items(self) -> Iterator[tuple[K, Histogram]]:
        return iter(list(self.values.items()))


class HttpStats:
    """Bumped once per REST request by the API middleware. `route` is the route template, never the raw path."""

    __slots__ = ("auth_failures", "bad_requests", "durations", "errors", "requests", "sizes")

    def __init__(self, max_label_sets: int = DEFAULT_MAX_LABEL_SETS) -> None:
        self.requests: KeyedCounts[tuple[str, str, str]] = KeyedCounts((OTHER, OTHER, OTHER), max_label_sets)
        self.errors: KeyedCounts[tuple[str, str, str]] = KeyedCounts((OTHER, OTHER, OTHER), max_label_sets)
        self.durations: KeyedHistograms[tuple[str, str]] = KeyedHistograms(
            LATENCY_BUCKETS_S, (OTHER, OTHER), max_label_sets
        )
        self.sizes: KeyedHistograms[tuple[str, str]] = KeyedHistograms(
            SIZE_BUCKETS_BYTES, (OTHER, OTHER), max_label_sets
        )
        # (route template, reason): requests refused for missing or wrong credentials.
        self.auth_failures: KeyedCounts[tuple[str, str]] = KeyedCounts((OTHER, OTHER), max_label_sets)
        # reason: requests aiohttp could not parse and answered 400 itself, before any route or middleware.
        self.bad_requests: KeyedCounts[str] = KeyedCounts(OTHER, max_label_sets)

    def observe(self, method: str, route: str, status: int, duration_s: float, size_bytes: int) -> None:
        code = str(status)
        self.requests.add((method, route, code))
        if status >= 400:
            self.errors.add((method, route, code))
        self.durations.observe((method, route), duration_s)
        self.sizes.observe((method, route), float(size_bytes))

    def auth_failure(self, route: str, reason: str) -> None:
        self.auth_failures.add((route, reason))

    def bad_request(self, reason: str) -> None:
        self.bad_requests.add(reason)


Direction = Literal["inbound", "outbound"]
MessageType = Literal["text", "binary"]
WebSocketErrorType = Literal["connection", "protocol", "timeout"]


class WebSocketStats:
    """Bumped by the client WebSocket handler: one `message` per frame, `error` per failure, `latency` per ping."""

    __slots__ = ("errors", "latency", "messages", "sizes")

    def __init__(self) -> None:
        self.messages: KeyedCounts[tuple[str, str]] = KeyedCounts((OTHER, OTHER))
        self.errors: KeyedCounts[str] = KeyedCounts(OTHER)
        self.sizes: KeyedHistograms[str] = KeyedHistograms(SIZE_BUCKETS_BYTES, OTHER)
        self.latency = Histogram(LATENCY_BUCKETS_S)

    def message(self, direction: Direction, kind: MessageType, size_bytes: int) -> None:
        self.messages.add((direction, kind))
        self.sizes.observe(direction, float(size_bytes))

    def error(self, kind: WebSocketErrorType) -> None:
        self.errors.add(kind)

    def observe_latency(self, seconds: float) -> None:
        self.latency.observe(seconds)


TrackLoadResult = Literal["loaded", "not_found", "timeout", "error"]


class TrackLoadStats:
    """Bumped once per `loadtracks` resolution; `result` is "loaded" or the failure reason."""

    __slots__ = ("durations", "failed", "loaded")

    def __init__(self) -> None:
        self.loaded: KeyedCounts[str] = KeyedCounts(OTHER)
        self.failed: KeyedCounts[tuple[str, str]] = KeyedCounts((OTHER, OTHER))
        self.durations: KeyedHistograms[str] = KeyedHistograms(LATENCY_BUCKETS_S, OTHER)

    def observe(self, source: str, result: TrackLoadResult, duration_s: float) -> None:
        if result == "loaded":
            self.loaded.add(source)
        else:
            self.failed.add((source, result))
        self.durations.observe(source, duration_s)


PlayerEventType = Literal["start", "end", "pause", "resume", "seek", "exception", "stuck"]
DurationKind = Literal["track", "session"]


class PlayerEventStats:
    """Bumped by players as events happen; durations are observed when a track or a session ends."""

    __slots__ = ("durations", "events")

    def __init__(self) -> None:
        self.events: KeyedCounts[str] = KeyedCounts(OTHER)
        self.durations: KeyedHistograms[str] = KeyedHistograms(PLAY_DURATION_BUCKETS_S, OTHER)

    def bump(self, event: PlayerEventType) -> None:
        self.events.add(event)

    def observe_duration(self, kind: DurationKind, seconds: float) -> None:
        self.durations.observe(kind, seconds)


@dataclass(slots=True)
class FrameStats:
    """The frame clock adds to these per tick (one add per tick, not per player, keeps the hot path cheap).

    sent: frames handed to a voice connection; lost: frames due that were never sent (send failure or
    deficit); underruns: ticks on which a playing player's buffer was empty (Lavalink's "nulled").
    """

    sent: int = 0
    lost: int = 0
    underruns: int = 0


FallbackResult = Literal["success", "failure"]


class FallbackStats:
    """Mirror-search fallback (e.g. a Spotify link resolved to a playable source): bumped by the bundled lavasrc
    plugin through its PluginContext.fallback."""

    __slots__ = ("cache_hits", "cache_misses", "conversions", "search_durations")

    def __init__(self) -> None:
        self.conversions: KeyedCounts[tuple[str, str]] = KeyedCounts((OTHER, OTHER))
        self.search_durations: KeyedHistograms[str] = KeyedHistograms(LATENCY_BUCKETS_S, OTHER)
        self.cache_hits: KeyedCounts[str] = KeyedCounts(OTHER)
        self.cache_misses: KeyedCounts[str] = KeyedCounts(OTHER)

    def conversion(self, service: str, result: FallbackResult, search_duration_s: float) -> None:
        self.conversions.add((service, result))
        self.search_durations.observe(service, search_duration_s)

    def cache_hit(self, service: str) -> None:
        self.cache_hits.add(service)

    def cache_miss(self, service: str) -> None:
        self.cache_misses.add(service)


# Seconds: one checkpoint write of a few players up to thousands on a slow disk.
CHECKPOINT_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class PersistenceStats:
    """Kept sessions: what a start restored, what it could not (by cause), and each checkpoint write."""

    __slots__ = ("checkpoint_failures", "checkpoint_players", "checkpoint_seconds", "players_restored",
                 "restore_failures", "sessions_restored")

    def __init__(self) -> None:
        self.sessions_restored = 0
        self.players_restored = 0
        self.restore_failures: KeyedCounts[str] = KeyedCounts(OTHER)
        self.checkpoint_seconds = Histogram(CHECKPOINT_BUCKETS_S)
        self.checkpoint_failures = 0
        self.checkpoint_players = 0  # players in the latest successful checkpoint

    def observe_write(self, seconds: float, players: int, ok: bool) -> None:
        if ok:
            self.checkpoint_seconds.observe(seconds)
            self.checkpoint_players = players
        else:
            self.checkpoint_failures += 1


@dataclass(slots=True)
class NodeCounters:
    """All counters of one node, created once by the app and handed to the code that bumps them."""

    http: HttpStats = field(default_factory=HttpStats)
    websocket: WebSocketStats = field(default_factory=WebSocketStats)
    tracks: TrackLoadStats = field(default_factory=TrackLoadStats)
    player_events: PlayerEventStats = field(default_factory=PlayerEventStats)
    frames: FrameStats = field(default_factory=FrameStats)
    fallback: FallbackStats = field(default_factory=FallbackStats)
    persistence: PersistenceStats = field(default_factory=PersistenceStats)
