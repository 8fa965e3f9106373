"""Lavalink's encoded track: lavaplayer's binary track message, in base64.

The message (all integers big-endian, `utf` = Java `writeUTF`: u16 byte count + modified UTF-8):

    u32  header   (flags << 30) | size of everything after the header; flag 1 = "versioned"
    u8   version  only when versioned, else 1
    utf  title, utf author, i64 length, utf identifier, u8 isStream
    ntxt uri                  (version >= 2)      ntxt = u8 present flag, then utf if present
    ntxt artworkUrl, isrc     (version >= 3)
    utf  sourceName
    ...  source-specific details (opaque here: `TrackInfo.details`, written back verbatim)
    i64  position

Only the details' owner knows their length, so they are taken as everything between sourceName and the final eight
bytes of the message. Bytes after the message are ignored, as lavaplayer's `MessageInput` does. Version 3 is written;
versions 1 to 3 are read.

Modified UTF-8 differs from UTF-8 in two ways: U+0000 is `C0 80`, and a character outside the BMP is its UTF-16
surrogate pair, each half as a 3-byte sequence (CESU-8). Decoding accepts what Java's `DataInputStream.readUTF`
accepts (raw NUL, overlong 2/3-byte forms, lone surrogates) so every track Lavalink reads is readable here.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

from lavalink_py.protocol.track import TrackInfo

__all__ = ["TrackDecodeError", "TrackEncodeError", "decode_track", "encode_track", "pack_utf", "unpack_utf"]

ENCODE_VERSION = 3
_FLAG_VERSIONED = 1
_MAX_UTF_BYTES = 0xFFFF
_MAX_MESSAGE_BYTES = 0x3FFFFFFF
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_NON_BMP = re.compile("[\U00010000-\U0010ffff]")


class TrackDecodeError(ValueError):
    """The encoded string is not a track this decoder can read; `offset` is the byte in the decoded message."""

    def __init__(self, reason: str, offset: int | None = None, field: str | None = None) -> None:
        where = ""
        if field is not None:
            where += f" in {field}"
        if offset is not None:
            where += f" at byte {offset}"
        super().__init__(f"Cannot decode track{where}: {reason}")
        self.reason = reason
        self.offset = offset
        self.field = field


class TrackEncodeError(ValueError):
    """A TrackInfo field cannot be represented in the binary format (string too long, integer out of range)."""


# --- modified UTF-8 -------------------------------------------------------------------------------------------------


def _split_non_bmp(match: re.Match[str]) -> str:
    cp = ord(match.group()) - 0x10000
    return chr(0xD800 + (cp >> 10)) + chr(0xDC00 + (cp & 0x3FF))


def encode_modified_utf8(text: str) -> bytes:
    if text.isascii():
        raw = text.encode("ascii")
    else:
        raw = _NON_BMP.sub(_split_non_bmp, text).encode("utf-8", "surrogatepass")
    return raw.replace(b"\x00", b"\xc0\x80")


class _MalformedText(ValueError):
    def __init__(self, reason: str, index: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.index = index


def decode_modified_utf8(data: bytes) -> str:
    """Decode like Java's readUTF; raises `_MalformedText` where Java raises UTFDataFormatException."""
    if data.isascii():
        return data.decode("ascii")
    if b"\xc0\x80" not in data and not any(b >= 0xF0 for b in data):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass  # surrogates or overlong forms: the lenient path below decides
    return _decode_java_utf(data)


def _decode_java_utf(data: bytes) -> str:
    units: list[str] = []
    i, n = 0, len(data)
    while i < n:
        c = data[i]
        kind = c >> 4
        if kind < 8:
            units.append(chr(c))
            i += 1
        elif kind in (12, 13):
            if i + 2 > n:
                raise _MalformedText(f"partial 2-byte character at end of string (byte {i} of {n})", i)
            c2 = data[i + 1]
            if c2 & 0xC0 != 0x80:
                raise _MalformedText(f"malformed 2-byte character at byte {i} of string", i)
            units.append(chr(((c & 0x1F) << 6) | (c2 & 0x3F)))
            i += 2
        elif kind == 14:
            if i + 3 > n:
                raise _MalformedText(f"partial 3-byte character at end of string (byte {i} of {n})", i)
            c2, c3 = data[i + 1], data[i + 2]
            if c2 & 0xC0 != 0x80 or c3 & 0xC0 != 0x80:
                raise _MalformedText(f"malformed 3-byte character at byte {i} of string", i)
            units.append(chr(((c & 0x0F) << 12) | ((c2 & 0x3F) << 6) | (c3 & 0x3F)))
            i += 3
        else:
            raise _MalformedText(f"byte 0x{c:02x} cannot start a character (byte {i} of string)", i)
    # Join surrogate pairs into one code point; lone surrogates stay, as they do in a Java String.
    return "".join(units).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


# --- writing --------------------------------------------------------------------------------------------------------


def pack_utf(text: str, field: str = "string") -> bytes:
    """Java's `writeUTF`, for source managers writing their track details."""
    raw = encode_modified_utf8(text)
    if len(raw) > _MAX_UTF_BYTES:
        raise TrackEncodeError(f"{field} is {len(raw)} bytes in modified UTF-8; the track format allows at most 65535")
    return struct.pack(">H", len(raw)) + raw


def _nullable(text: str | None, field: str) -> bytes:
    return b"\x00" if text is None else b"\x01" + pack_utf(text, field)


def _i64(value: int, field: str) -> bytes:
    if not _I64_MIN <= value <= _I64_MAX:
        raise TrackEncodeError(f"{field} {value} does not fit a signed 64-bit integer")
    return struct.pack(">q", value)


def encode_track(info: TrackInfo) -> str:
    body = b"".join(
        (
            bytes((ENCODE_VERSION,)),
            pack_utf(info.title, "title"),
            pack_utf(info.author, "author"),
            _i64(info.length_ms, "length"),
            pack_utf(info.identifier, "identifier"),
            b"\x01" if info.is_stream else b"\x00",
            _nullable(info.uri, "uri"),
            _nullable(info.artwork_url, "artworkUrl"),
            _nullable(info.isrc, "isrc"),
            pack_utf(info.source_name, "sourceName"),
            info.details,
            _i64(info.position_ms, "position"),
        )
    )
    if len(body) > _MAX_MESSAGE_BYTES:
        raise TrackEncodeError(f"track message is {len(body)} bytes; the header allows at most {_MAX_MESSAGE_BYTES}")
    header = struct.pack(">I", (_FLAG_VERSIONED << 30) | len(body))
    return base64.b64encode(header + body).decode("ascii")


# --- reading --------------------------------------------------------------------------------------------------------


def unpack_utf(data: bytes, offset: int = 0, field: str = "string") -> tuple[str, int]:
    """Java's `readUTF` at `offset` in `data`: the text and the offset after it (for reading track details)."""
    reader = _Reader(data, len(data), offset)
    return reader.utf(field), reader.pos


class _Reader:
    def __init__(self, data: bytes, end: int, pos: int = 4) -> None:
        self.data = data
        self.pos = pos
        self.end = end

    def take(self, count: int, field: str) -> bytes:
        if self.pos + count > self.end:
            raise TrackDecodeError(
                f"needs {count} bytes but the message ends after {self.end - self.pos}", self.pos, field
            )
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def boolean(self, field: str) -> bool:
        return self.u8(field) != 0  # Java's readBoolean: any non-zero byte is true

    def i64(self, field: str) -> int:
        value: int = struct.unpack(">q", self.take(8, field))[0]
        return value

    def utf(self, field: str) -> str:
        start = self.pos
        (length,) = struct.unpack(">H", self.take(2, field))
        raw = self.take(length, field)
        try:
            return decode_modified_utf8(raw)
        except _MalformedText as exc:
            raise TrackDecodeError(exc.reason, start + 2 + exc.index, field) from None

    def nullable(self, field: str) -> str | None:
        return self.utf(field) if self.boolean(field + " presence flag") else None


def _b64decode(encoded: str) -> bytes:
    text = encoded.strip()
    if not text.isascii():
        raise TrackDecodeError("not base64 (contains non-ASCII characters)")
    # Java's basic decoder, which Lavalink uses, does not require padding.
    if len(text) % 4 and "=" not in text:
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise TrackDecodeError(f"not base64 ({exc})") from None


def decode_track(encoded: str) -> TrackInfo:
    data = _b64decode(encoded)
    if len(data) < 4:
        raise TrackDecodeError(f"{len(data)} bytes is too short for the 4-byte message header", 0, "header")
    (header,) = struct.unpack(">I", data[:4])
    flags, size = header >> 30, header & _MAX_MESSAGE_BYTES
    if size == 0:
        raise TrackDecodeError("message size is 0 (an end marker, not a track)", 0, "header")
    if 4 + size > len(data):
        raise TrackDecodeError(f"header announces {size} bytes but only {len(data) - 4} follow", 0, "header")
    reader = _Reader(data, 4 + size)
    version = reader.u8("version") if flags & _FLAG_VERSIONED else 1
    if not 1 <= version <= ENCODE_VERSION:
        raise TrackDecodeError(f"unsupported track format version {version} (known: 1-3)", 4, "version")
    title = reader.utf("title")
    author = reader.utf("author")
    length_ms = reader.i64("length")
    identifier = reader.utf("identifier")
    is_stream = reader.boolean("isStream")
    uri = reader.nullable("uri") if version >= 2 else None
    artwork_url = reader.nullable("artworkUrl") if version >= 3 else None
    isrc = reader.nullable("isrc") if version >= 3 else None
    source_name = reader.utf("sourceName")
    details = reader.take(reader.end - 8 - reader.pos, "details") if reader.end - 8 >= reader.pos else b""
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
        details=details,
    )
