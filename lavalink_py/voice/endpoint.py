"""Voice endpoint strings as Discord sends them in VOICE_SERVER_UPDATE: `host`, `host:port`, sometimes a scheme.

A legacy `:80` suffix names no real port (the voice gateway serves wss on 443), so it is dropped as other voice
clients do (`endpoint.Replace(":80", "")`); any other port is kept, as discord.js does. discord.py drops every
port with `rpartition(':')`, which would also break a port-less endpoint, so we do not follow it.
"""

from __future__ import annotations

from lavalink_py.voice.errors import LocalProtocolError

GATEWAY_VERSION = 8


def gateway_url(endpoint: str) -> str:
    host = endpoint.strip()
    for scheme in ("wss://", "ws://"):
        if host.startswith(scheme):
            host = host[len(scheme) :]
    host = host.rstrip("/")
    if host.endswith(":80"):
        host = host[:-3]
    if not host or "/" in host or "?" in host:
        raise LocalProtocolError(f"voice endpoint {endpoint!r} is not host[:port]")
    return f"wss://{host}/?v={GATEWAY_VERSION}"
