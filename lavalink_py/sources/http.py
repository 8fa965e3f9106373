"""The `http` source: media, radio streams and playlists at http(s):// and icy:// URLs (lavaplayer's
HttpAudioSourceManager).

Loading a URL:
1. GET it without following redirects (lavaplayer follows them as references, so a redirect's target becomes the
   track's identifier); 404 -> not ours (empty result), other non-2xx -> "That URL is not playable.".
2. Read the first bytes: a playlist is parsed (`playlists`) and its first link loaded the same way, with the title the
   playlist gives it; an HLS playlist becomes one track of the playlist URL itself.
3. Anything else is probed with PyAV (`probe`), off the event loop.
At most `max_redirects` URLs are visited per load; past that the result is empty, as in lavaplayer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from yarl import URL

from lavalink_py.protocol.load_result import FriendlyError, LoadFailed, LoadResult, TrackLoaded
from lavalink_py.protocol.track import STREAM_LENGTH_MS, TrackInfo
from lavalink_py.protocol.track_codec import TrackDecodeError
from lavalink_py.sources import playlists
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.containers import HLS_OUTER, ContainerDescriptor
from lavalink_py.sources.probe import MediaInfo, MediaProbe, ProbeError
from lavalink_py.sources.routing.outbound import Outbound
from lavalink_py.sources.tracks import UNKNOWN_ARTIST, UNKNOWN_TITLE, make_track, media_track

log = logging.getLogger(__name__)

_HEAD_BYTES = 1024
_RANGE_CACHE_SIZE = 256


def as_http_url(identifier: str) -> str | None:
    """The URL an identifier names if it is ours: http(s) as is, icy:// read as http:// (lavaplayer's rule)."""
    if identifier.startswith(("http://", "https://")):
        return identifier
    if identifier.startswith("icy://"):
        return "http://" + identifier[len("icy://") :]
    return None


@dataclass(frozen=True, slots=True)
class _Refer:
    url: str
    title: str | None


class HttpSourceManager:
    def __init__(
        self,
        probe: MediaProbe | None = None,
        *,
        max_redirects: int = 5,
        max_playlist_bytes: int = 1 << 20,
        session: aiohttp.ClientSession | None = None,
        outbound: Outbound | None = None,
    ) -> None:
        self.probe = probe or MediaProbe()
        self.outbound = outbound or Outbound()
        self.max_redirects = max_redirects
        self.max_playlist_bytes = max_playlist_bytes
        self._session = session
        self._owns_session = session is None
        self._ranges: dict[str, bool] = {}  # url -> answers Range requests (oldest first, bounded)

    @property
    def name(self) -> str:
        return "http"

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(
                sock_connect=self.probe.connect_timeout_s, sock_read=self.probe.read_timeout_s
            )
            self._session = aiohttp.ClientSession(timeout=timeout, headers={"User-Agent": self.probe.user_agent})
            self._owns_session = True
        return self._session

    async def load_item(self, identifier: str) -> LoadResult | None:
        url = as_http_url(identifier)
        return None if url is None else await self.load_url(url)

    async def load_url(self, url: str, title: str | None = None) -> LoadResult | None:
        """Load an http(s) URL, following redirects and playlists; `title` names media that has no tags of its own."""
        identifier = url
        try:
            for _ in range(self.max_redirects):
                outcome = await self._load_once(url, title)
                if not isinstance(outcome, _Refer):
                    return outcome
                url, title = outcome.url, outcome.title
        except FriendlyError as error:
            return LoadFailed(error)
        log.info("Gave up loading %s after %d redirects", identifier, self.max_redirects)
        return None

    async def open_stream(self, info: TrackInfo) -> StreamSpec:
        url = as_http_url(info.identifier)
        if url is None:
            raise ValueError(f"not an http track identifier: {info.identifier!r}")
        options = self.probe.ffmpeg_options(url)
        options["reconnect"] = "1"
        if info.is_stream:
            options["reconnect_streamed"] = "1"
            options["reconnect_delay_max"] = "2"  # a station may take a second to come back; not longer
        hls = _is_hls(info)
        seekable = info.is_stream or hls or await self._answers_ranges(url)
        spec = StreamSpec(url=url, options=options, is_live=info.is_stream, seekable=seekable, hls=hls)
        return await self.outbound.routed_stream(spec)

    async def _answers_ranges(self, url: str) -> bool:
        """Whether the server honours `Range` (206), asked once per URL: FFmpeg cannot seek a body without it."""
        known = self._ranges.get(url)
        if known is not None:
            return known
        try:
            async with self.outbound.get(self._client(), url, headers={"Range": "bytes=0-0"}) as response:
                answers = response.status == 206
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Let the pipeline's own open report the failure; assume a normal server meanwhile.
            log.info("Range check of %s failed: %s", url, _describe(exc))
            return True
        if len(self._ranges) >= _RANGE_CACHE_SIZE:
            self._ranges.pop(next(iter(self._ranges)))
        self._ranges[url] = answers
        return answers

    async def _load_once(self, url: str, title: str | None) -> LoadResult | _Refer | None:
        try:
            parsed_url = URL(url)
            if not parsed_url.host:
                raise ValueError("no host")
        except ValueError as exc:
            raise FriendlyError("Not a valid URL.", "common", cause=f"{url!r}: {exc}") from exc
        try:
            async with self.outbound.get(self._client(), parsed_url, allow_redirects=False) as response:
                if 300 <= response.status < 400 and "Location" in response.headers:
                    return _Refer(str(response.url.join(URL(response.headers["Location"]))), None)
                if response.status == 404:
                    return None
                if not 200 <= response.status < 300 or response.status == 204:
                    raise FriendlyError("That URL is not playable.", "common", cause=f"Status code {response.status}")
                head = await _read_up_to(response.content, _HEAD_BYTES)
                kind = playlists.playlist_kind(head)
                if kind is not None:
                    body = head + await _read_up_to(response.content, self.max_playlist_bytes - len(head))
                    return await self._from_playlist(url, kind, body, title)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise FriendlyError("Connecting to the URL failed.", "suspicious", cause=_describe(exc)) from exc
        return await self._from_media(url, title)

    async def _from_media(self, url: str, title: str | None) -> LoadResult:
        try:
            media = await self._probe(url)
        except ProbeError as exc:
            if exc.unknown_format:
                raise FriendlyError("Unknown file format.", "common", cause=exc.cause) from exc
            raise FriendlyError(
                "Could not read the file for detecting file type.", "suspicious", cause=exc.cause
            ) from exc
        return TrackLoaded(media_track(url, media, self.name, title))

    async def _probe(self, url: str) -> MediaInfo:
        retries = 0
        address = await self.outbound.address_for(url)
        while True:
            try:
                return await self.probe.probe(url, None if address is None else {"local_addr": address})
            except ProbeError as exc:
                if not exc.rate_limited or not self.outbound.rate_limited(address, search=False, retries_done=retries):
                    raise
            retries += 1
            address = self.outbound.address()

    async def _from_playlist(
        self, url: str, kind: playlists.PlaylistKind, body: bytes, title: str | None
    ) -> LoadResult | _Refer:
        parsed = playlists.parse(kind, body, url)
        if isinstance(parsed, playlists.Entry):
            return _Refer(as_http_url(parsed.url) or parsed.url, parsed.title)
        if isinstance(parsed, playlists.NoLinks):
            raise FriendlyError("The playlist file contains no links.", "common")
        hls = parsed
        if hls.variant_url is not None:
            hls = await self._variant(hls.variant_url)
        live = hls.live or hls.length_ms is None
        info = TrackInfo(
            title=title or UNKNOWN_TITLE,
            author=UNKNOWN_ARTIST,
            length_ms=STREAM_LENGTH_MS if live or hls.length_ms is None else hls.length_ms,
            identifier=url,
            is_stream=live,
            uri=url,
            source_name=self.name,
            details=ContainerDescriptor("m3u", HLS_OUTER).to_details(),
        )
        return TrackLoaded(make_track(info))

    async def _variant(self, url: str) -> playlists.Hls:
        """A master playlist's first variant says whether the stream is live; unreadable counts as live."""
        try:
            async with self.outbound.get(self._client(), url) as response:
                if response.status == 200:
                    body = await _read_up_to(response.content, self.max_playlist_bytes)
                    parsed = playlists.parse("m3u", body, str(response.url))
                    if isinstance(parsed, playlists.Hls) and parsed.variant_url is None:
                        return parsed
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.info("HLS variant %s unreadable, treating the stream as live: %s", url, _describe(exc))
        return playlists.Hls(variant_url=None)


def _is_hls(info: TrackInfo) -> bool:
    """HLS is read by FFmpeg's hls demuxer, segment by segment (no Range needed, and no forward copy possible)."""
    try:
        return ContainerDescriptor.from_details(info.details).probe == "m3u"
    except TrackDecodeError:
        return False


async def _read_up_to(content: aiohttp.StreamReader, limit: int) -> bytes:
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = await content.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "TimeoutError: no response in time"
    return f"{type(exc).__name__}: {exc}"
