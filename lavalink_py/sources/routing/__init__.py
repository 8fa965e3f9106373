"""Lavalink's route planner (`lavalink.server.ratelimit`): which local address each outbound source request leaves
from, and which addresses a 429 marked failing. `ip_blocks` and `planner` are pure; `outbound` is what the sources
call around their requests and media opens; `routed_http` is its requester for plugins (`PluginContext.http`)."""
