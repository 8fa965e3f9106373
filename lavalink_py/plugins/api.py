"""What a plugin sees: the `Plugin` it provides and the `PluginContext` it registers through.

A plugin is an object with `name`, `version` and `setup(context)`. `setup` runs once, while the node is built,
before it serves anything; everything a plugin adds goes through the context there:

- `config(cls)`       its settings: `plugins.<name>.*` bound onto a frozen dataclass (errors name the key); a field
                      declared with `setting(default, lo=, hi=, check=, each=)` is range-checked as the node's are
- `add_source`        a source manager, with the search prefixes it answers (`xxsearch:`)
- `add_filter`        a filter for `filters.pluginFilters.<name>` (see lavalink_py/audio/filters)
- `add_route`         an aiohttp handler under `/v4/`
- `emit_event`        a WebSocket event (`op: event`, its own `type`) to one player's session
- `add_plugin_info`   a function whose result joins the `pluginInfo` of every loaded track and playlist
- `add_collector`     a prometheus-client collector, guarded and timed like the built-in ones
- `on_cleanup`        a coroutine run when the node stops (close sessions, files)
- `load_item`, `open_stream`  the node's sources, for a plugin that resolves through them (mirror sources)
- `fallback`          the node's mirror-fallback counters (lavalink_fallback_* on /metrics)
- `on_player_event`   a function told of every player event (TrackStartEvent...) with its session and guild
- `player`            one player (its track, position; seek), for plugins that act on playback
- `session_exists`    whether a client session is open (for per-session state, like SponsorBlock's categories)
- `load`              the node's track loading (every source, pluginInfo modifiers applied), as /v4/loadtracks
- `source`, `sources` a registered source manager by name, or all of them (for extra capabilities, like lyrics)
- `http`              an HTTP requester through the node's route planner (the plugin's own API calls)

Built-in sources register through the same context (`lavalink_py/plugins/builtin.py`). See docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from aiohttp import web
from prometheus_client.registry import Collector

from lavalink_py.audio.filters.base import FfmpegStage, FilterSpec, NumpyStage, NumpyStep, Pcm
from lavalink_py.config.schema import non_empty, setting
from lavalink_py.metrics.counters import FallbackStats
from lavalink_py.protocol.load_result import (
    FriendlyError,
    LoadFailed,
    LoadResult,
    NoMatches,
    PlaylistLoaded,
    SearchLoaded,
    TrackLoaded,
)
from lavalink_py.protocol.track import Track, TrackInfo
from lavalink_py.protocol.track_codec import TrackDecodeError, decode_track, encode_track
from lavalink_py.protocol.validation import RequestError
from lavalink_py.sources.base import SourceManager, StreamSpec
from lavalink_py.sources.routing.routed_http import RoutedHttp

# What a plugin needs, from one module: the hooks' types and the data a source returns.
__all__ = [
    "Collector",
    "FallbackStats",
    "FfmpegStage",
    "FilterSpec",
    "FriendlyError",
    "LoadFailed",
    "LoadResult",
    "NoMatches",
    "NumpyStage",
    "NumpyStep",
    "Pcm",
    "PlayerEvent",
    "PlaylistLoaded",
    "Plugin",
    "PluginContext",
    "PluginInfoModifier",
    "PluginPlayer",
    "RequestError",
    "RouteHandler",
    "RoutedHttp",
    "SearchLoaded",
    "SourceManager",
    "StreamSpec",
    "Track",
    "TrackDecodeError",
    "TrackInfo",
    "TrackLoaded",
    "decode_track",
    "encode_track",
    "make_track",
    "non_empty",
    "setting",
]


def make_track(info: TrackInfo, plugin_info: Mapping[str, Any] | None = None) -> Track:
    """A Track with Lavalink's encoding of `info`; `plugin_info` is shown as the track's `pluginInfo`."""
    return Track(encode_track(info), info, plugin_info=dict(plugin_info or {}))

C = TypeVar("C")

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]
"""An aiohttp handler; the node's middlewares (password, Lavalink's error body) wrap it like every route."""


class PluginInfoModifier(Protocol):
    """Lavalink's AudioPluginInfoModifier: extra `pluginInfo` fields for a track or playlist, or None."""

    def track(self, track: Track) -> Mapping[str, Any] | None: ...

    def playlist(self, playlist: PlaylistLoaded) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class PlayerEvent:
    """A player event as its session was sent it: `type` is Lavalink's (`TrackStartEvent`, `TrackEndEvent`, ...),
    `message` the whole JSON object (`track`, `reason`...)."""

    session_id: str
    guild_id: int
    type: str
    message: Mapping[str, Any]


class PluginPlayer(Protocol):
    """What a plugin may see and do of one player."""

    @property
    def track(self) -> Track | None:
        """The track playing (or paused), None when idle."""
        ...

    @property
    def position_ms(self) -> int: ...

    def seek(self, position_ms: int) -> None:
        """Jump to `position_ms` as a client's PATCH `position` does (a playerUpdate follows)."""
        ...


class PluginContext(Protocol):
    @property
    def name(self) -> str:
        """The plugin's name: its `plugins.<name>` config section and its name in `/v4/info`."""
        ...

    @property
    def raw_config(self) -> Mapping[str, Any]:
        """`plugins.<name>` as the YAML gave it (without `enabled`), for plugins that read it themselves."""
        ...

    def config(self, cls: type[C]) -> C:
        """`plugins.<name>` bound onto the dataclass `cls` (relaxed keys, `${VAR}`); a bad value stops start-up
        naming `plugins.<name>.<key>`, an unknown key is logged."""
        ...

    def add_source(self, manager: SourceManager, *, search_prefixes: Sequence[str] = (), catch_all: bool = False
                   ) -> None:
        """Ask `manager` for identifiers after the sources registered before it. An identifier starting with one of
        `search_prefixes` goes to it alone (two sources may not share a prefix). `catch_all` managers (plain HTTP,
        which claims any URL) are asked after every other."""
        ...

    def add_filter(self, spec: FilterSpec[Any]) -> None:
        """A filter whose parameters come in a player's `filters.pluginFilters.<spec.name>`; listed in /v4/info.
        Its stage runs in the player's filter chain: an FfmpegStage in the PyAV graph, or a NumpyStep."""
        ...

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        """Serve `handler` at `path`, which must start with `/v4/`. A handler that raises answers Lavalink's error
        body with status 500 naming the plugin; the node goes on."""
        ...

    def emit_event(self, session_id: str, guild_id: int, event_type: str, data: Mapping[str, Any]) -> bool:
        """Send `{"op": "event", "type": event_type, "guildId": "<id>", **data}` to the session (queued while it is
        paused for a resume). False when no such session exists. Call it on the event loop (a handler, a source's
        load_item), not from a worker thread."""
        ...

    def add_plugin_info(self, modifier: PluginInfoModifier) -> None: ...

    def add_collector(self, name: str, collector: Collector) -> None:
        """Export `collector` on /metrics as `name` (`metrics.collectors.<name>` switches it); its collect() runs off
        the event loop."""
        ...

    def on_cleanup(self, callback: Callable[[], Awaitable[None]]) -> None: ...

    async def load_item(self, identifier: str) -> LoadResult:
        """Resolve `identifier` through every registered source, as `/v4/loadtracks` does (without the pluginInfo
        modifiers). For a source that delegates (a mirror source searching `ytsearch:`); call it after setup."""
        ...

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        """Where to read `info`'s media, asked of the source named by its `sourceName` (a mirror's track)."""
        ...

    @property
    def fallback(self) -> FallbackStats:
        """The node's mirror-fallback counters (conversions, search time, cache hits: lavalink_fallback_*)."""
    def on_player_event(self, callback: Callable[[PlayerEvent], None]) -> None:
        """Call `callback` on the event loop with each player event (`op: event`) as it is sent to its session.
        It must not block; start a task for slow work. What it raises is logged; the event is delivered anyway."""
        ...

    def player(self, session_id: str, guild_id: int) -> PluginPlayer | None:
        """The session's player for `guild_id` (also while the session is paused for a resume), None when there is
        none. Use it on the event loop."""
        ...

    def session_exists(self, session_id: str) -> bool:
        """Whether a client is connected on `session_id` (what the REST API accepts; not one paused for a resume)."""
        ...

    async def load(self, identifier: str) -> LoadResult:
        """Load `identifier` as `/v4/loadtracks` does: every source in order, pluginInfo modifiers applied."""
        ...

    def source(self, name: str) -> SourceManager | None:
        """The source manager named `name` (a track's `sourceName`), registered by the node or any plugin set up so
        far; ask it at run time (after start-up) to see every one."""
        ...

    def sources(self) -> Sequence[SourceManager]:
        """Every registered source manager, in the order identifiers are offered to them (at run time: all)."""
        ...

    def http(self, *, timeout_s: float | None = None, headers: Mapping[str, str] | None = None) -> RoutedHttp:
        """An HTTP requester for the plugin's own requests (a service's web API, its token endpoint): with
        `lavalink.server.ratelimit`, each attempt leaves from the route planner's address and a 429 marks it
        failing and is retried from the next, up to `retryLimit`, as the node's sources do; without, one pooled
        aiohttp session (no cookie jar). `async with http.request("POST", url, data=...) as response:`. Closed
        when the node stops; `timeout_s` is the total per attempt."""
        ...


class Plugin(Protocol):
    """Also optional: `config_section: str`, the `plugins.<section>` it reads when that differs from its name (the
    bundled LavaLyrics stand-in is `lavalyrics-plugin` in /v4/info, as Java's, but reads `plugins.lavalyrics`)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def setup(self, context: PluginContext) -> None:
        """Register what the plugin adds. Raising here stops start-up (exit 2) with a message naming the plugin."""
        ...
