"""Typed keys of the objects the application shares (aiohttp's AppKey; no module globals)."""

from __future__ import annotations

from aiohttp import web

from lavalink_py.api.auth import AuthWarnings
from lavalink_py.api.options import ApiOptions
from lavalink_py.metrics.counters import NodeCounters
from lavalink_py.sessions.node import Node

OPTIONS = web.AppKey("options", ApiOptions)
NODE = web.AppKey("node", Node)
COUNTERS = web.AppKey("counters", NodeCounters)
AUTH_WARNINGS = web.AppKey("auth_warnings", AuthWarnings)
