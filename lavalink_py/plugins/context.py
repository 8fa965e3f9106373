"""The node's side of the plugin API: one `PluginSetup` per plugin records what it registers into `Registrations`,
which app.py wires into the node (sources, routes, filters, collectors, pluginInfo, events, cleanups)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from prometheus_client.registry import Collector

from lavalink_py.audio.filters import FilterRegistry, default_registry
from lavalink_py.audio.filters.base import FilterSpec
from lavalink_py.config import bind_section
from lavalink_py.config.binder import env_as_text
from lavalink_py.config.logs import current_log_context
from lavalink_py.metrics.counters import FallbackStats
from lavalink_py.player.player import Player
from lavalink_py.plugins.api import PlayerEvent, PluginInfoModifier, RouteHandler
from lavalink_py.plugins.errors import PluginLoadError
from lavalink_py.protocol.load_result import LoadResult, PlaylistLoaded, SearchLoaded, TrackLoaded
from lavalink_py.protocol.track import Track, TrackInfo
from lavalink_py.sessions.manager import SessionManager
from lavalink_py.sessions.session import Session
from lavalink_py.sources.base import SourceManager, StreamSpec
from lavalink_py.sources.registry import SourceRegistry
from lavalink_py.sources.routing.outbound import Outbound
from lavalink_py.sources.routing.routed_http import RoutedHttp

log = logging.getLogger(__name__)

C = TypeVar("C")
ROUTE_PREFIX = "/v4/"


@dataclass(frozen=True, slots=True)
class PluginRoute:
    plugin: str
    method: str
    path: str
    handler: RouteHandler


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    name: str
    version: str
    listed: bool  # shown in /v4/info (the built-in sources are not a plugin to clients)


class PlayerHandle:
    """A plugin's view of one player (api.PluginPlayer)."""

    def __init__(self, player: Player) -> None:
        self._player = player

    @property
    def track(self) -> Track | None:
        return self._player.track

    @property
    def position_ms(self) -> int:
        return self._player.position_ms

    def seek(self, position_ms: int) -> None:
        self._player.seek(max(0, position_ms), int(time.time() * 1000))


class EventRelay:
    """Delivers plugin events to sessions, and player events to plugins; bound to the node's sessions once the node
    exists, and observing every message a session sends (app.py)."""

    def __init__(self) -> None:
        self.sessions: SessionManager | None = None
        self.listeners: list[tuple[str, Callable[[PlayerEvent], None]]] = []

    def observe(self, message: dict[str, Any]) -> None:
        """A session message observer: player events go to the plugins' listeners. Session.send names the session
        in the log context around observers, which is how the event is tied to it."""
        if not self.listeners or message.get("op") != "event":
            return
        session_id = current_log_context().get("session_id")
        try:
            guild_id = int(message.get("guildId", ""))
        except ValueError:
            return
        if not isinstance(session_id, str):
            return
        event = PlayerEvent(session_id, guild_id, str(message.get("type", "")), message)
        for plugin, listener in self.listeners:
            try:
                listener(event)
            except Exception:
                log.exception("plugin %s: player event listener raised on %s; ignored", plugin, event.type)

    def session(self, session_id: str) -> Session | None:
        if self.sessions is None:
            return None
        return self.sessions.get(session_id)

    def player(self, session_id: str, guild_id: int) -> PlayerHandle | None:
        # Also while the session waits for a resume: its players go on playing (and SponsorBlock skipping).
        session = None if self.sessions is None else next(
            (s for s in self.sessions.sessions() if s.id == session_id), None)
        player = None if session is None or session.shut_down else session.player(guild_id)
        return None if player is None else PlayerHandle(player)

    def emit(self, session_id: str, guild_id: int, event_type: str, data: Mapping[str, Any]) -> bool:
        if self.sessions is None:
            return False
        session = next((s for s in self.sessions.sessions() if s.id == session_id), None)
        if session is None or session.shut_down:
            return False
        session.send({**data, "op": "event", "type": event_type, "guildId": str(guild_id)})
        return True


@dataclass
class Registrations:
    sources: SourceRegistry = field(default_factory=SourceRegistry)
    routes: list[PluginRoute] = field(default_factory=list)
    filters: FilterRegistry = field(default_factory=default_registry)  # the built-ins, then plugins' filters
    collectors: dict[str, Collector] = field(default_factory=dict)
    collector_owners: dict[str, str] = field(default_factory=dict)  # name -> "plugin tone" / "metrics.custom[0] (...)"
    info_modifiers: list[tuple[str, PluginInfoModifier]] = field(default_factory=list)
    cleanups: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    plugins: list[LoadedPlugin] = field(default_factory=list)
    events: EventRelay = field(default_factory=EventRelay)
    fallback: FallbackStats = field(default_factory=FallbackStats)  # the node's, handed in by build_plugins
    config_sections: set[str] = field(default_factory=set)  # the `plugins.<section>` of each plugin set up
    outbound: Outbound = field(default_factory=Outbound)  # the node's route planner, handed in by build_plugins

    def __post_init__(self) -> None:
        self.sources.outbound = self.outbound  # plugins' sources' media URLs leave from the planner's address too


class PluginSetup:
    """The PluginContext handed to one plugin's setup()."""

    def __init__(self, name: str, raw_config: Mapping[str, Any], registrations: Registrations, *,
                 section: str | None = None) -> None:
        self._name = name
        self._section = section or name
        self._raw = {k: v for k, v in raw_config.items() if k != "enabled"}
        self._out = registrations

    @property
    def name(self) -> str:
        return self._name

    @property
    def raw_config(self) -> Mapping[str, Any]:
        plain = env_as_text(self._raw)  # environment overrides as dotted keys with string values
        assert isinstance(plain, dict)
        return plain

    def config(self, cls: type[C]) -> C:
        bound, warnings = bind_section(cls, self._raw, f"plugins.{self._section}")
        for warning in warnings:
            log.warning("%s", warning)
        return bound

    def add_source(self, manager: SourceManager, *, search_prefixes: Sequence[str] = (), catch_all: bool = False
                   ) -> None:
        try:
            self._out.sources.register(manager, search_prefixes=search_prefixes, catch_all=catch_all)
        except ValueError as exc:
            raise PluginLoadError(f"plugin {self._name}: source {manager.name!r} refused: {exc}") from None

    def add_filter(self, spec: FilterSpec[Any]) -> None:
        try:
            self._out.filters.register(spec, plugin=True)
        except ValueError as exc:
            raise PluginLoadError(f"plugin {self._name}: filter {spec.name!r} refused: {exc}") from None

    def add_route(self, method: str, path: str, handler: RouteHandler) -> None:
        if not path.startswith(ROUTE_PREFIX):
            raise PluginLoadError(f"plugin {self._name}: route {path!r} must start with {ROUTE_PREFIX}")
        self._out.routes.append(PluginRoute(self._name, method.upper(), path, handler))

    def emit_event(self, session_id: str, guild_id: int, event_type: str, data: Mapping[str, Any]) -> bool:
        return self._out.events.emit(session_id, guild_id, event_type, data)

    def add_plugin_info(self, modifier: PluginInfoModifier) -> None:
        self._out.info_modifiers.append((self._name, modifier))

    def add_collector(self, name: str, collector: Collector) -> None:
        if name in self._out.collectors:
            raise PluginLoadError(f"plugin {self._name}: a collector named {name!r} is already registered")
        self._out.collectors[name] = collector
        self._out.collector_owners[name] = f"plugin {self._name}"

    def on_cleanup(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._out.cleanups.append(callback)

    async def load_item(self, identifier: str) -> LoadResult:
        return await self._out.sources.load(identifier)

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return await self._out.sources.open_stream(info)

    @property
    def fallback(self) -> FallbackStats:
        return self._out.fallback
    def on_player_event(self, callback: Callable[[PlayerEvent], None]) -> None:
        self._out.events.listeners.append((self._name, callback))

    def player(self, session_id: str, guild_id: int) -> PlayerHandle | None:
        return self._out.events.player(session_id, guild_id)

    def session_exists(self, session_id: str) -> bool:
        session = self._out.events.session(session_id)
        return session is not None and not session.shut_down

    async def load(self, identifier: str) -> LoadResult:
        return with_plugin_info(await self._out.sources.load(identifier), self._out.info_modifiers)

    def source(self, name: str) -> SourceManager | None:
        return self._out.sources.manager(name)

    def sources(self) -> Sequence[SourceManager]:
        return self._out.sources.managers()

    def http(self, *, timeout_s: float | None = None, headers: Mapping[str, str] | None = None) -> RoutedHttp:
        requester = RoutedHttp(self._out.outbound, timeout_s=timeout_s, headers=headers)
        self._out.cleanups.append(requester.close)
        return requester


def _extra(name: str, call: Callable[[], Mapping[str, Any] | None]) -> Mapping[str, Any]:
    try:
        return call() or {}
    except Exception:
        log.exception("plugin %s: pluginInfo modifier raised; skipped", name)
        return {}


def track_with_plugin_info(track: Track, modifiers: Sequence[tuple[str, PluginInfoModifier]]) -> Track:
    """The track with each modifier's fields merged into its pluginInfo; a raising modifier is logged and skipped."""
    if not modifiers:
        return track
    info = dict(track.plugin_info)
    for name, modifier in modifiers:
        info.update(_extra(name, functools.partial(modifier.track, track)))
    return replace(track, plugin_info=info)


def with_plugin_info(result: LoadResult, modifiers: Sequence[tuple[str, PluginInfoModifier]]) -> LoadResult:
    """The load result with the modifiers' fields in its tracks' and playlist's pluginInfo; a load never fails for
    a modifier."""
    if not modifiers:
        return result

    def track(t: Track) -> Track:
        return track_with_plugin_info(t, modifiers)

    match result:
        case TrackLoaded(track=t):
            return TrackLoaded(track(t))
        case SearchLoaded(tracks=tracks):
            return SearchLoaded([track(t) for t in tracks])
        case PlaylistLoaded():
            info = dict(result.plugin_info)
            for name, modifier in modifiers:
                info.update(_extra(name, functools.partial(modifier.playlist, result)))
            return replace(result, tracks=[track(t) for t in result.tracks], plugin_info=info)
        case _:
            return result


class PluginInfoLoader:
    """The node's track loader with the plugins' pluginInfo modifiers applied to every load result."""

    def __init__(self, sources: SourceRegistry, modifiers: Sequence[tuple[str, PluginInfoModifier]]) -> None:
        self.sources = sources
        self._modifiers = list(modifiers)

    async def load(self, identifier: str) -> LoadResult:
        return with_plugin_info(await self.sources.load(identifier), self._modifiers)

    def names(self) -> list[str]:
        return self.sources.names()

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        return await self.sources.open_stream(info)

    async def close(self) -> None:
        await self.sources.close()
