"""HLS media fetched by the node itself, so the playlist and every segment leave from the route planner's address
(blocking; runs in the decoder's pool thread).

FFmpeg's hls demuxer passes its segment requests only a fixed list of the playlist's options (headers, user
agent, cookies...), not `local_addr`, so with a planner its segments would leave from the system's address. As
lavaplayer reads HLS with its own M3U8 handling, `HlsFile` fetches the (variant) playlist and its segments, in
order, and hands PyAV their concatenation as one forward-only file: MPEG-TS segments join into one transport
stream, fMP4 ones into one fragmented MP4 (its EXT-X-MAP init section first, again whenever it changes),
AES-128 segments decrypted. A live playlist starts three segments from its end (FFmpeg's `live_start_index`)
and is reloaded every target duration (half of it while nothing is new, RFC 8216 6.3.4); when it brings nothing
new for `timeout_s` plus three target durations, the file ends, as FFmpeg's reader does.

The file cannot seek; the pipeline's open then reopens it at the segment holding the target (`start_ms`, by the
playlist's durations, as FFmpeg's hls demuxer seeks) and reads forwards to it, discarding what lies before
(MPEG-TS and fMP4 timestamps run on across segments, so the landing is as exact as FFmpeg's own seek). A 429 (or
an address the kernel cannot bind) on any request asks the stream's route for the next address and tries again.
"""

from __future__ import annotations

import errno
import io
import logging
import threading
import time
import urllib.error
from collections import deque
from typing import Protocol

from lavalink_py.sources import playlists
from lavalink_py.sources.hls_playlist import ByteRange, InitSection, Segment, parse_media
from lavalink_py.sources.http_file import open_url

log = logging.getLogger(__name__)

LIVE_START_SEGMENTS = 3
START_MARGIN_S = 1.0
_MAX_PLAYLIST_BYTES = 4 << 20
_MAX_VARIANT_HOPS = 3


class Route(Protocol):
    """The address a stream's requests leave from; `reroute` marks it failing after a 429 and names the next."""

    @property
    def address(self) -> str | None: ...

    def reroute(self, failed: str | None, retries_done: int) -> str | None: ...


def ffmpeg_headers(options: dict[str, str]) -> dict[str, str]:
    """The request headers FFmpeg's AVOptions carry (`headers` as "Name: value\\r\\n" lines, `user_agent`)."""
    headers: dict[str, str] = {}
    for line in options.get("headers", "").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers[name.strip()] = value.strip()
    if "user_agent" in options:
        headers["User-Agent"] = options["user_agent"]
    return headers


def decrypt_aes128(body: bytes, key: bytes, iv: bytes) -> bytes:
    """A segment encrypted with EXT-X-KEY METHOD=AES-128: AES-128-CBC with PKCS#7 padding (RFC 8216 4.3.2.4)."""
    from cryptography.hazmat.primitives import padding  # only for encrypted streams
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        unpadder = padding.PKCS7(128).unpadder()
        plain = decryptor.update(body) + decryptor.finalize()
        return unpadder.update(plain) + unpadder.finalize()
    except ValueError as exc:
        raise OSError(f"HLS segment does not decrypt: {exc}") from exc


class HlsFile(io.RawIOBase):
    def __init__(self, url: str, route: Route, *, headers: dict[str, str] | None = None, timeout_s: float = 10.0,
                 start_ms: int = 0) -> None:
        super().__init__()
        self._route = route
        self._headers = dict(headers or {})
        self._timeout_s = timeout_s
        self._closing = threading.Event()
        self._pending: deque[Segment] = deque()
        self._next_sequence: int | None = None
        self._init: InitSection | None = None
        self._keys: dict[str, bytes] = {}
        self._chunk = memoryview(b"")
        self._target_s = 10.0
        self.ended = False  # the playlist has EXT-X-ENDLIST (VOD), or a live one stopped growing
        self._playlist_url = self._media_playlist(url)
        if start_ms > 0 and self.ended:
            self._skip_to(start_ms / 1000)

    def _skip_to(self, start_s: float) -> None:
        """Start a VOD playlist at the segment holding `start_s` (by EXTINF durations, a second early, since they
        may be rounded); the segments' own timestamps tell the demuxer where it is."""
        end_s = 0.0
        while len(self._pending) > 1:
            end_s += self._pending[0].duration_s
            if end_s > start_s - START_MARGIN_S:
                break
            self._pending.popleft()

    # --- fetching --------------------------------------------------------------------------------------------------

    def fetch(self, url: str, byte_range: ByteRange | None = None, *, limit: int = -1) -> tuple[bytes, str]:
        """The body at `url` (and the URL it was finally read from), from the route's address; after a 429 from
        the next address, as long as the route has one."""
        headers = dict(self._headers)
        if byte_range is not None:
            offset, length = byte_range
            headers["Range"] = f"bytes={offset}-{offset + length - 1}"
        retries = 0
        while True:
            address = self._route.address
            try:
                with open_url(url, headers=headers, timeout_s=self._timeout_s, source_address=address) as response:
                    return (response.read() if limit < 0 else response.read(limit)), response.geturl()
            except urllib.error.HTTPError as exc:
                if exc.code != 429 or self._route.reroute(address, retries) is None:
                    raise
            except urllib.error.URLError as exc:
                unbindable = getattr(exc.reason, "errno", None) == errno.EADDRNOTAVAIL
                if not unbindable or self._route.reroute(address, retries) is None:
                    raise
            retries += 1

    def _media_playlist(self, url: str) -> str:
        """The media playlist `url` names: itself, or a master playlist's first variant (as the load chose)."""
        for _ in range(_MAX_VARIANT_HOPS):
            body, final_url = self.fetch(url, limit=_MAX_PLAYLIST_BYTES)
            parsed = playlists.parse("m3u", body, final_url)
            if isinstance(parsed, playlists.Hls) and parsed.variant_url is not None:
                url = parsed.variant_url
                continue
            self._take(body, final_url)
            return final_url
        raise OSError(f"HLS: more than {_MAX_VARIANT_HOPS} nested master playlists at {url}")

    def _reload(self) -> None:
        body, final_url = self.fetch(self._playlist_url, limit=_MAX_PLAYLIST_BYTES)
        self._take(body, final_url)

    def _take(self, body: bytes, base_url: str) -> None:
        playlist = parse_media(body, base_url)
        self._target_s = playlist.target_duration_s
        self.ended = playlist.ended
        segments = playlist.segments
        if self._next_sequence is None and not playlist.ended:
            segments = segments[-LIVE_START_SEGMENTS:]
        fresh = [s for s in segments if self._next_sequence is None or s.sequence >= self._next_sequence]
        if fresh:
            self._pending.extend(fresh)
            self._next_sequence = fresh[-1].sequence + 1

    def _await_segments(self) -> bool:
        """Reload a live playlist until it has a new segment; False when the stream is over (or closed)."""
        wait_s = self._target_s
        deadline = time.monotonic() + self._timeout_s + 3 * self._target_s
        while not self._pending:
            if self.ended or self._closing.wait(wait_s):
                return False
            self._reload()
            wait_s = self._target_s / 2
            if not self._pending and time.monotonic() > deadline:
                log.info("HLS playlist %s brought no new segment; the stream ends", self._playlist_url)
                return False
        return True

    def _segment(self, segment: Segment) -> bytes:
        parts = []
        if segment.init is not None and segment.init != self._init:
            parts.append(self.fetch(segment.init.url, segment.init.byte_range)[0])
            self._init = segment.init
        body = self.fetch(segment.url, segment.byte_range)[0]
        key = segment.key
        if key is not None:
            if key.method != "AES-128" or key.url is None:
                raise OSError(f"HLS encryption {key.method} is not supported ({segment.url})")
            if key.url not in self._keys:
                self._keys = {key.url: self.fetch(key.url, limit=64)[0]}  # keys rotate: keep the current one
            body = decrypt_aes128(body, self._keys[key.url], key.iv or segment.sequence.to_bytes(16, "big"))
        parts.append(body)
        return b"".join(parts)

    # --- the file PyAV reads ---------------------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        while not self._chunk:
            if self.closed or not (self._pending or self._await_segments()):
                return b""
            self._chunk = memoryview(self._segment(self._pending.popleft()))
        if size is None or size < 0:
            size = len(self._chunk)
        data, self._chunk = self._chunk[:size], self._chunk[size:]
        return bytes(data)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._closing.set()  # a live reader waiting for its next reload stops at once
        super().close()
