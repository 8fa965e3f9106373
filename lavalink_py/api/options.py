"""What the API needs to know of the configuration, as one small typed object built by `app.build_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lavalink_py.protocol.track import Track


@dataclass(frozen=True, slots=True)
class ApiOptions:
    # None: no password is configured, and Lavalink then refuses every request that needs one.
    password: str | None
    version: str
    disabled_filters: frozenset[str] = frozenset()
    player_update_interval_s: float = 5.0
    stats_interval_s: float = 60.0
    # How often the node pings each client WebSocket to measure its round trip (lavalink_websocket_latency);
    # 0: never (the default: Lavalink sends no pings).
    ws_ping_interval_s: float = 0.0
    # Paths answered without the server password (health probes unless configured otherwise).
    public_paths: frozenset[str] = field(default_factory=frozenset)
    # The Prometheus endpoint on the main port (None: not served there) and its Basic credentials (None: the
    # server password, given raw as Lavalink clients do or as the password of Basic credentials).
    metrics_path: str | None = None
    metrics_auth: tuple[str, str] | None = None
    # (name, version) of each loaded plugin, as /v4/info lists them.
    plugins: tuple[tuple[str, str], ...] = ()
    # Adds the plugins' pluginInfo to a track decoded from a client's string (None: no plugin adds any).
    decorate_track: Callable[[Track], Track] | None = None
