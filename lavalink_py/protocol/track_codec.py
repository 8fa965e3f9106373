"""Lavalink's encoded track: lavaplayer's binary track message, base64 with padding.

    u32   header = flags << 30 | size          size: bytes after the header; flag 1 = versioned
    u8    version                              only when versioned, else 1
    utf   title, utf author, i64 length_ms, utf identifier, bool is_stream
    ntxt  uri                                  version >= 2
    ntxt  artwork_url, ntxt isrc               version >= 3
    utf   source_name
    ...   source-specific details              opaque here, kept verbatim
    i64   position_ms                          the message's last 8 bytes

Integers are big-endian; `utf` is Java's DataOutput.writeUTF (u16 length + modified UTF-8: NUL as C0 80, characters
outside the BMP as two 3-byte surrogates); `ntxt` is a presence byte then a `utf`. We write version 3 as lavaplayer
does and read versions 1 to 3.

Exceptions:
    TrackDecodeError(ValueError): the string is not an encoded track; the message says where and why.
    ValueError: encode_track was given a field that does not fit the format (a string over 65535 bytes).
"""

from __future__ import annotations

import base64
import binascii
import struct

from lavalink_py.protocol.track import TrackInfo

_VERSIONED = 1
_VERSION = 3
_UTF_MAX = 0xFFFF
_SIZE_MASK = 0x3FFFFFFF


class TrackDecodeError(ValueError):
    """The input is not a track lavaplayer could have encoded."""


def _java_utf(text: str) -> bytes:
    # surrogatepass turns each UTF-16 surrogate of a non-BMP character into 3 bytes, as Java's writeUTF does.
    utf16 = text.encode("utf-16-be", "surrogatepass")
    units = "".join(chr(u) for (u,) in struct.iter_unpack(">H", utf16)) if utf16 else ""
    data = units.encode("utf-8", "surrogatepass").replace(b"\x00", b"\xc0\x80")
    if len(data) > _UTF_MAX:
        raise ValueError(f"string of {len(data)} bytes does not fit the track format (at most {_UTF_MAX})")
    return struct.pack(">H", len(data)) + data


def encode_track(info: TrackInfo) -> str:
    body = bytearray([_VERSION])
    body += _java_utf(info.title) + _java_utf(info.author)
    body += struct.pack(">q", info.length_ms) + _java_utf(info.identifier) + bytes([int(info.is_stream)])
    for text in (info.uri, info.artwork_url, info.isrc):
        body += b"\x00" if text is None else b"\x01" + _java_utf(text)
    body += _java_utf(info.source_name) + info.details + struct.pack(">q", info.position_ms)
    header = struct.pack(">I", _VERSIONED << 30 | len(body))
    return base64.b64encode(header + bytes(body)).decode("ascii")


class _Reader:
    def __init__(self, data: bytes, end: int) -> None:
        self.data = data
        self.pos = 0
        self.end = end

    def take(self, count: int, what: str) -> bytes:
        if self.pos + count > self.end:
            raise TrackDecodeError(f"{what}: needs {count} bytes at offset {self.pos}, message ends at {self.end}")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def utf(self, what: str) -> str:
        (length,) = struct.unpack(">H", self.take(2, what))
        raw = self.take(length, what).replace(b"\xc0\x80", b"\x00")
        try:
            units = raw.decode("utf-8", "surrogatepass")
            return units.encode("utf-16-be", "surrogatepass").decode("utf-16-be")
        except UnicodeError as exc:
            raise TrackDecodeError(f"{what}: not modified UTF-8 ({exc})") from exc

    def nullable_utf(self, what: str) -> str | None:
        return self.utf(what) if self.take(1, what)[0] else None

    def i64(self, what: str) -> int:
        value: int = struct.unpack(">q", self.take(8, what))[0]
        return value


def decode_track(encoded: str) -> TrackInfo:
    try:
        data = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise TrackDecodeError(f"not base64: {exc}") from exc
    if len(data) < 4:
        raise TrackDecodeError(f"header: needs 4 bytes, got {len(data)}")
    (header,) = struct.unpack(">I", data[:4])
    flags, size = header >> 30, header & _SIZE_MASK
    if size == 0:
        raise TrackDecodeError("header: message size is 0 (no track)")
    if 4 + size > len(data):
        raise TrackDecodeError(f"header: message size {size} exceeds the {len(data) - 4} bytes present")
    reader = _Reader(data, 4 + size)
    reader.pos = 4
    version = reader.take(1, "version")[0] if flags & _VERSIONED else 1
    if not 1 <= version <= _VERSION:
        raise TrackDecodeError(f"version: {version} is not supported (1 to {_VERSION})")
    title, author = reader.utf("title"), reader.utf("author")
    length_ms, identifier = reader.i64("length"), reader.utf("identifier")
    is_stream = reader.take(1, "isStream")[0] != 0
    uri = reader.nullable_utf("uri") if version >= 2 else None
    artwork_url = reader.nullable_utf("artworkUrl") if version >= 3 else None
    isrc = reader.nullable_utf("isrc") if version >= 3 else None
    source_name = reader.utf("sourceName")
    if reader.end - reader.pos < 8:
        raise TrackDecodeError(f"position: needs 8 bytes at offset {reader.pos}, message ends at {reader.end}")
    details = data[reader.pos : reader.end - 8]
    reader.pos = reader.end - 8
    position_ms = reader.i64("position")
    return TrackInfo(
        title=title,
        author=author,
        length_ms=length_ms,
        identifier=identifier,
        is_stream=is_stream,
        uri=uri,
        source_name=source_name,
        artwork_url=artwork_url,
        isrc=isrc,
        position_ms=position_ms,
        details=bytes(details),
    )
