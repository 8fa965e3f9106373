"""docs/configuration.md, generated from the typed settings so it cannot drift from what the node reads.

Each row is one key: its path as `application.yml` spells it (the bundled file's spelling where it has the key,
else Lavalink's camelCase), the environment variable in the form Lavalink's docs list, type, default, range, and
what it does: the comment beside the field in settings.py, else the bundled application.yml's comment on that key.
Run `python -m lavalink_py.config.reference > docs/configuration.md`; a test compares the two.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import sys
import tokenize
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from lavalink_py.config import settings as settings_module
from lavalink_py.config.schema import yaml_key
from lavalink_py.config.settings import Settings

BUNDLED = Path(__file__).resolve().parents[2] / "application.yml"


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    env: str
    type: str
    default: str
    range: str
    about: str


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _env(path: list[str]) -> str:
    words = [re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", part).replace("-", "_").upper() for part in path]
    return "_".join(words)


def _type_name(hint: Any) -> str:
    origin = get_origin(hint)
    if origin is typing.Literal:
        return " \\| ".join(str(a) for a in get_args(hint))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in get_args(hint) if a is not type(None)) + " (optional)"
    if origin is tuple:
        return f"list of {_type_name(get_args(hint)[0])}"
    if origin in (Mapping, dict):
        return f"map of {_type_name(get_args(hint)[1])}"
    return getattr(hint, "__name__", str(hint)).replace("ByteSize", "size (e.g. 10MB)")


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
    else:
        return "required"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping | tuple) and not value:
        return "empty"
    if value == "":
        return '`""`'
    return f"`{value}`"


def _range(field: dataclasses.Field[Any]) -> str:
    lo, hi = field.metadata.get("lo"), field.metadata.get("hi")
    if lo is None and hi is None:
        return ""
    low = "" if lo is None else (f"> {lo:g}" if field.metadata.get("lo_open") else f">= {lo:g}")
    high = "" if hi is None else f"<= {hi:g}"
    return ", ".join(part for part in (low, high) if part)


def _source_comments() -> dict[tuple[str, str], str]:
    """(class name, field name) -> the comment on the field's line, or the comment lines just above it."""
    source = Path(settings_module.__file__).read_text()
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    comments = {t.start[0]: t.string.lstrip("# ").strip() for t in tokens if not t.string.startswith("# noqa")}
    alone = {t.start[0] for t in tokens if t.line.strip().startswith("#")}
    out: dict[tuple[str, str], str] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                above: list[str] = []
                line = item.lineno - 1
                while line in alone and line in comments:
                    above.insert(0, comments[line])
                    line -= 1
                text = comments.get(item.lineno) or " ".join(above)
                if text and not text.startswith(("RUF", "noqa")):
                    out[(node.name, item.target.id)] = text
    return out


def _bundled_keys() -> dict[tuple[str, ...], str]:
    """Key paths of the bundled application.yml (commented-out keys included) -> the comment on that line."""
    out: dict[tuple[str, ...], str] = {}
    stack: list[tuple[int, str]] = []
    text = BUNDLED.read_text() if BUNDLED.exists() else ""  # an installed package has no application.yml
    for raw in text.splitlines():
        line = raw.lstrip("#") if re.match(r"^#\s*[A-Za-z_-]+:", raw) else raw
        match = re.match(r"^(\s*)([A-Za-z][A-Za-z0-9_-]*):(.*)$", line)
        if match is None:
            continue
        indent, key, rest = len(match[1]), match[2], match[3]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, key))
        comment = rest.split("#", 1)[1].strip() if "#" in rest and not rest.strip().startswith(("'", '"')) else ""
        out[tuple(k for _, k in stack)] = comment
    return out


def rows() -> list[Row]:
    comments, bundled = _source_comments(), _bundled_keys()
    return list(_walk(Settings, [], comments, bundled))


def _walk(
    cls: type, path: list[str], comments: dict[tuple[str, str], str], bundled: dict[tuple[str, ...], str]
) -> Iterator[Row]:
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        explicit = field.metadata.get("key")
        key = yaml_key(field) if explicit else field.name
        if tuple([*path, key]) not in bundled and not explicit:
            key = _camel(field.name)
        here = [*path, key]
        hint = hints[field.name]
        section = _section(hint)
        if section is not None:
            yield from _walk(section, here, comments, bundled)
            continue
        args = get_args(hint)
        item = (args[0] if get_origin(hint) is tuple else args[-1]) if args else None
        if get_origin(hint) in (Mapping, dict, tuple) and dataclasses.is_dataclass(item) and isinstance(item, type):
            # A map or list of sections: its keys are documented per entry.
            entry = "<name>" if get_origin(hint) is not tuple else "<index>"
            yield from _walk(item, [*here, entry], comments, bundled)
            continue
        about = comments.get((cls.__name__, field.name)) or bundled.get(tuple(here), "")
        yield Row(".".join(here), _env(here), _type_name(hint), _default(field), _range(field), about)


def _section(hint: Any) -> type | None:
    """The settings class of a nested section (`X` or `X | None`), else None."""
    candidates = [hint, *get_args(hint)] if get_origin(hint) in (types.UnionType, typing.Union) else [hint]
    for candidate in candidates:
        if dataclasses.is_dataclass(candidate) and isinstance(candidate, type):
            return candidate
    return None


HEADER = """# Configuration reference

Generated from the typed settings (`lavalink_py/config/settings.py`) by
`python -m lavalink_py.config.reference > docs/configuration.md`; a test fails when this file and the code differ.

Keys are Lavalink's, so a Lavalink `application.yml` starts this node; keys it does not use are accepted with a
warning each. Any spelling Spring's relaxed binding accepts binds (`opusEncodingQuality`, `opus-encoding-quality`,
`opus_encoding_quality`). Every key can also come from the environment (the variable shown, or Spring's form
without the inner underscores), and string values may use `${VAR}` or `${VAR:default}`. A bad value stops
start-up with exit code 2 and a message naming the key. `plugins.<name>.*` holds each plugin's own section; its
keys come from the environment too, Spring's way: `PLUGINS_LAVASRC_SPOTIFY_CLIENTID` or
`PLUGINS_LAVASRC_SPOTIFY_CLIENT_ID` sets `plugins.lavasrc.spotify.clientId` (lists comma-separated), checked by the
plugin's own binding (docs/plugins.md).

| Key | Environment | Type | Default | Range | What it does |
| --- | --- | --- | --- | --- | --- |
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown() -> str:
    lines = [f"| `{r.key}` | `{r.env}` | {r.type} | {r.default} | {r.range} | {_cell(r.about)} |" for r in rows()]
    return HEADER + "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_markdown())
