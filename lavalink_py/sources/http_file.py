"""A seekable file over an HTTP server that does not answer Range requests (blocking; runs in a pool thread).

FFmpeg's http protocol can only read such a body forwards: a FLAC or Ogg seek (which bisects the file) fails
with EPERM/ENOSYS, a WAV seek silently lands at the start, and an MP4 whose index (moov) follows the samples
cannot be played at all, because the demuxer must go back to the samples after reading the index. PyAV opens
this object instead: the body is read once, forwards, into a spooled temporary file (memory first, disk past
`memory_bytes`), so a backward seek reads the copy and a forward seek reads on ("reading forward", as
lavaplayer's non-seekable streams do). Only files of known length use it; live streams never seek. A read
waits at most `timeout_s`; a dropped connection is not resumed (such a server cannot start mid-body), so the
track fails; each new stream of the track (a seek) reads the body again from its start.
"""

from __future__ import annotations

import functools
import http.client
import io
import tempfile
import urllib.request
from http.client import HTTPResponse
from typing import IO, Any

_CHUNK = 64 * 1024


class _BoundHttp(urllib.request.HTTPHandler):
    """Connects from `source_address` (the route planner's `local_addr`)."""

    def __init__(self, source_address: str) -> None:
        super().__init__()
        self._source = (source_address, 0)

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=self._source), req)


class _BoundHttps(urllib.request.HTTPSHandler):
    def __init__(self, source_address: str) -> None:
        super().__init__()
        self._source = (source_address, 0)

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = functools.partial(http.client.HTTPSConnection, source_address=self._source)
        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


def open_url(url: str, *, headers: dict[str, str], timeout_s: float, source_address: str | None) -> HTTPResponse:
    """A blocking GET (redirects followed), bound to `source_address` when given; an error status raises
    urllib's HTTPError (an OSError with `code`)."""
    request = urllib.request.Request(url, headers=headers)
    if source_address is None:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    else:
        response = _bound_opener(source_address).open(request, timeout=timeout_s)
    assert isinstance(response, HTTPResponse)
    return response


@functools.lru_cache(maxsize=64)
def _bound_opener(source_address: str) -> urllib.request.OpenerDirector:
    # Building an opener costs about a millisecond (each handler is introspected); an HLS stream asks one per
    # segment. Openers keep no per-request state, so threads share them.
    return urllib.request.build_opener(_BoundHttp(source_address), _BoundHttps(source_address))


class ForwardHttpFile(io.RawIOBase):
    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout_s: float = 10.0,
        memory_bytes: int = 16 << 20,
        source_address: str | None = None,
    ) -> None:
        super().__init__()
        response = open_url(url, headers=headers or {}, timeout_s=timeout_s, source_address=source_address)
        self._response: HTTPResponse | None = response
        self._copy: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=memory_bytes)  # noqa: SIM115 - closed in close()
        self._copied = 0  # bytes of the body in the copy
        self._pos = 0
        length = response.getheader("Content-Length")
        self.length = int(length) if length is not None and length.isdigit() else None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def _fetch_to(self, end: int) -> None:
        """Copy the body up to byte `end` (or its end); a read timeout or reset raises OSError to FFmpeg."""
        while self._copied < end and self._response is not None:
            chunk = self._response.read(min(_CHUNK, end - self._copied))
            if not chunk:
                self._response.close()
                self._response = None
                self.length = self._copied
                return
            self._copy.seek(self._copied)
            self._copy.write(chunk)
            self._copied += len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = (self.length or (1 << 62)) - self._pos
        self._fetch_to(self._pos + size)
        self._copy.seek(self._pos)
        data = self._copy.read(max(0, min(size, self._copied - self._pos)))
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._pos
        elif whence == io.SEEK_END:
            if self.length is None:
                self._fetch_to(1 << 62)
            offset += self.length if self.length is not None else self._copied
        self._pos = max(0, offset)
        return self._pos

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None
        self._copy.close()
        super().close()
