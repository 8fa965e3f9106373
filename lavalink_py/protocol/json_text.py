"""JSON text in and out, bounded as Lavalink's mappers bound it, for everything the node reads and writes.

Reading: a document may nest at most `MAX_DEPTH` objects and arrays, Jackson's default
(`StreamReadConstraints.DEFAULT_MAX_DEPTH` = 1000, applied by the Spring converters in front of Lavalink's
handlers); deeper is a `JsonDepthError` with Jackson's message. Lavalink's kotlinx reader itself has no such limit
(it switches to a heap-recursive reader past depth 200), so 1000 is the documented bound, not a stricter one.

Writing: orjson writes what it can (fast path). It refuses two things a stored value may hold: nesting deeper
than its own limit (254 levels), and strings with lone surrogates (a track title decoded from Java's modified
UTF-8 holds them as a Java String does). For those, `dumps` walks the value with an explicit stack, and writes
a lone surrogate as `?`, byte for byte what Lavalink sends: its JSON is kotlinx's (which writes the char as it is,
unescaped), turned into bytes by `String.getBytes(UTF_8)` (Spring's KotlinSerializationStringHttpMessageConverter
for REST, Undertow's `WebSockets.sendText` for the socket), and Java's UTF-8 encoder replaces an unpaired
surrogate with `?`. (Jackson would write `\\uD800`, but Lavalink's Track and messages never go through it; and
some client parsers, serde_json among them, refuse a lone-surrogate escape.) So whatever `loads` accepted, and
whatever the track codec decoded, can always be written back.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

MAX_DEPTH: Final = 1000
_NOT_STRUCTURE = bytes(byte for byte in range(256) if byte not in b'[]{}"\\')


class JsonDepthError(ValueError):
    """As Jackson's StreamReadConstraints reports it: at the first level past the limit, so always MAX_DEPTH + 1."""

    def __init__(self) -> None:
        super().__init__(
            f"Document nesting depth ({MAX_DEPTH + 1}) exceeds the maximum allowed ({MAX_DEPTH}, from "
            "`StreamReadConstraints.getMaxNestingDepth()`)"
        )


def loads(raw: bytes) -> Any:
    """Parse a request body; `orjson.JSONDecodeError` for malformed JSON, `JsonDepthError` beyond `MAX_DEPTH`."""
    if _too_deep(raw):
        raise JsonDepthError()
    return orjson.loads(raw)


def _too_deep(raw: bytes) -> bool:
    """Whether `{`/`[` outside strings nest beyond MAX_DEPTH, checked before parsing (orjson itself stops at 1024).

    Only a body with more than MAX_DEPTH opening brackets is walked, and then only its brackets, quotes and
    backslashes (kept by `translate`, in C); aiohttp bounds a body to 1 MiB."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in raw.translate(None, _NOT_STRUCTURE):
        if in_string:
            # Only quotes and backslashes are left, so a backslash always escapes the next of them.
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in b"{[":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in b"}]":
            depth -= 1
    return False


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _dumps_by_hand(value)


def _dumps_by_hand(value: Any) -> bytes:
    out: list[bytes] = []
    # A stack of pending work: values to write, or literal bytes (separators and closing brackets).
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Literal):
            out.append(item.text)
        elif isinstance(item, dict):
            stack.append(_CLOSE_OBJECT)
            entries = list(item.items())
            for index in range(len(entries) - 1, -1, -1):
                key, member = entries[index]
                if not isinstance(key, str):
                    raise TypeError(f"JSON object keys must be strings, got {type(key).__name__}")
                stack.append(member)
                stack.append(_Literal(_string(key) + b":"))
                if index:
                    stack.append(_COMMA)
            out.append(b"{")
        elif isinstance(item, list | tuple):
            stack.append(_CLOSE_ARRAY)
            for index in range(len(item) - 1, -1, -1):
                stack.append(item[index])
                if index:
                    stack.append(_COMMA)
            out.append(b"[")
        elif isinstance(item, str):
            out.append(_string(item))
        else:
            out.append(orjson.dumps(item))
    return b"".join(out)


def _string(text: str) -> bytes:
    try:
        return orjson.dumps(text)
    except orjson.JSONEncodeError:
        # Python's "replace" encodes an unpaired surrogate as "?", as Java's String.getBytes(UTF_8) does.
        return orjson.dumps(text.encode("utf-8", "replace").decode("utf-8"))


class _Literal:
    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


_COMMA: Final = _Literal(b",")
_CLOSE_OBJECT: Final = _Literal(b"}")
_CLOSE_ARRAY: Final = _Literal(b"]")
