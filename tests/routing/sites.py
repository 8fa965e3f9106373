"""A local site for the route planner tests: it sees each request's source address and answers 429 to chosen ones."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from aiohttp import web

from tests.sources import media


@functools.cache
def tone() -> bytes:
    return media.encode(media.MP3, seconds=0.5)


@dataclass
class Site:
    """Serves a tone at /tone.mp3 and a page at /page; 429 to every source address in `banned`."""

    banned: set[str] = field(default_factory=set)
    # 429 only to media reads (no Range header): open_stream's Range check passes, playback's open is refused.
    banned_media: set[str] = field(default_factory=set)
    peers: list[str] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername")[0] if request.transport else "?"
        self.peers.append(peer)
        if peer in self.banned or (peer in self.banned_media and "Range" not in request.headers):
            return web.Response(status=429, text="Too Many Requests")
        if request.path == "/page":
            return web.Response(text="<html><head><title>t</title></head><body>"
                                     '<audio src="/tone.mp3"></audio></body></html>', content_type="text/html")
        return web.Response(body=tone(), content_type="audio/mpeg")
