"""JSON text in and out, bounded as Lavalink's mappers bound it, for everything the node reads and writes.

Reading: a document may nest at most `MAX_DEPTH` objects and arrays, Jackson's default
(`StreamReadConstraints.DEFAULT_MAX_DEPTH` = 1000, applied by the Spring converters in front of Lavalink's
handlers); deeper is a `JsonDepthError` with Jackson's message. Lavalink's kotlinx reader itself has no such limit
(it switches to a heap-recursive reader past depth 200), so 1000 is the documented bound, not a stricter one.

Writing: orjson writes what it can (fast path). It refuses two things a stored value may hold: nesting deeper
than its own limit (254 levels), and strings with lone surrogates (a track title decoded from Java's modified
UTF-8 holds them as a Java String does). For those, `dumps` walks the value with an explicit stack and writes a
lone surrogate as a `\\uXXXX` escape, as Jackson's UTF8JsonGenerator does (it cannot be UTF-8). So whatever
`loads` accepted, and whatever the track codec decoded, can always be written back.
"""

from __future__ import annotations

import re
from typing import Any, Final

import orjson

MAX_DEPTH: Final = 1000
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonDepthError(ValueError):
    def __init__(self, depth: int) -> None:
        super().__init__(
            f"Document nesting depth ({depth}) exceeds the maximum allowed ({MAX_DEPTH}, from "
            "`StreamReadConstraints.getMaxNestingDepth()`)"
        )
        self.depth = depth


def loads(raw: bytes) -> Any:
    """Parse a request body; `orjson.JSONDecodeError` for malformed JSON, `JsonDepthError` beyond `MAX_DEPTH`."""
    depth = _bracket_depth(raw)
    if depth > MAX_DEPTH:
        raise JsonDepthError(depth)
    return orjson.loads(raw)


def _bracket_depth(raw: bytes) -> int:
    """The deepest nesting of `{`/`[` outside strings; a cheap pre-check before parsing (orjson stops at 1024).

    Only a malformed document can make this differ from the parsed depth, and orjson refuses those anyway."""
    if raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return deepest


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
        pass
    parts: list[bytes] = [b'"']
    last = 0
    for match in _LONE_SURROGATE.finditer(text):
        parts.append(orjson.dumps(text[last : match.start()])[1:-1])
        parts.append(b"\\u%04x" % ord(match.group()))
        last = match.end()
    parts.append(orjson.dumps(text[last:])[1:-1])
    parts.append(b'"')
    return b"".join(parts)


class _Literal:
    __slots__ = ("text",)

    def __init__(self, text: bytes) -> None:
        self.text = text


_COMMA: Final = _Literal(b",")
_CLOSE_OBJECT: Final = _Literal(b"}")
_CLOSE_ARRAY: Final = _Literal(b"]")
