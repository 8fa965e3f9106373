"""protocol.json_text: Jackson's depth bound on the way in; on the way out, anything accepted can be written."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.protocol.json_text import MAX_DEPTH, JsonDepthError, dumps, loads


def nested_text(depth: int, open_: bytes = b'{"a":', leaf: bytes = b"1", close: bytes = b"}") -> bytes:
    return open_ * depth + leaf + close * depth


@pytest.mark.parametrize(("open_", "close"), [(b'{"a":', b"}"), (b"[", b"]")])
def test_depth_up_to_jacksons_limit_is_read_and_beyond_is_refused(open_: bytes, close: bytes) -> None:
    assert loads(nested_text(MAX_DEPTH, open_, b"1", close)) is not None
    with pytest.raises(JsonDepthError) as refused:
        loads(nested_text(MAX_DEPTH + 1, open_, b"1", close))
    assert str(refused.value) == (
        "Document nesting depth (1001) exceeds the maximum allowed (1000, from "
        "`StreamReadConstraints.getMaxNestingDepth()`)"
    )


@pytest.mark.parametrize(
    "text",
    [
        b'["' + b"[" * 3000 + b'"]',  # brackets inside a string
        b'["\\"' + b"{" * 3000 + b'"]',  # after an escaped quote, still inside the string
        b'["\\\\", ' + b"[" * 999 + b"]" * 999 + b"]",  # an escaped backslash ends before the quote
        b"[" + b"[]," * 3000 + b"[]]",  # many brackets, shallow
    ],
)
def test_only_nesting_outside_strings_counts(text: bytes) -> None:
    assert dumps(loads(text)) == dumps(orjson.loads(text))  # (== on 1000-deep lists would recurse too far)


def test_an_escaped_backslash_does_not_hide_real_nesting() -> None:
    with pytest.raises(JsonDepthError):
        loads(b'["\\\\", ' + b"[" * 1000 + b"]" * 1000 + b"]")


def test_deep_values_are_written_as_the_standard_encoder_writes_them() -> None:
    value: Any = "leaf"
    for depth in range(300):  # 600 levels: past orjson's 254, within stdlib json's recursion
        value = {"k": [value, depth, 1.5, None, True, "é"]}
    assert dumps(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert dumps({"a": [1, {"b": "c"}]}) == orjson.dumps({"a": [1, {"b": "c"}]})


def test_lone_surrogates_are_written_as_lavalink_sends_them() -> None:
    # kotlinx writes the char unescaped; Java's String.getBytes(UTF_8) turns an unpaired surrogate into "?".
    assert dumps({"t": "a\ud800b"}) == b'{"t":"a?b"}'
    assert dumps(["\udfff", "\U0001f600", '\x00\n"']) == b'["?","\xf0\x9f\x98\x80","\\u0000\\n\\""]'
    assert dumps({"k\udc00": "v"}) == b'{"k?":"v"}'
    assert dumps({"t": "a\ud800b", "deep": [[[[1]]]]}) == b'{"t":"a?b","deep":[[[[1]]]]}'


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
        max_leaves=30,
    )
)
def test_any_value_round_trips(value: Any) -> None:
    assert json.loads(dumps(value)) == value
