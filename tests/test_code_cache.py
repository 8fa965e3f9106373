"""The dataclass methods kept across starts (lavalink_py/code_cache.py): same classes, the file read back, bad files
compiled again, nothing left installed."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lavalink_py.code_cache import DataclassCodeCache

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def bytecode_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a node started without PYTHONDONTWRITEBYTECODE (which the test run may set)."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def make_class(name: str) -> type:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Settings:
        port: int = 2333
        address: str = "0.0.0.0"
        tags: tuple[str, ...] = ()
        limit: int | None = dataclasses.field(default=None, compare=False)

    Settings.__qualname__ = Settings.__name__ = name
    return Settings


def describe(cls: type) -> dict[str, object]:
    a, b = cls(), cls(port=1, tags=("x",))
    return {
        "repr": repr(b).replace(cls.__name__, "C"),
        "eq": (a == cls(), a == b, a == cls(limit=5)),
        "hash": hash(a) == hash(cls()),
        "signature": str(inspect.signature(cls)),
        "annotations": {k: str(v) for k, v in vars(cls)["__init__"].__annotations__.items()},
        "slots": vars(cls)["__slots__"],
        "fields": [(f.name, f.default, f.compare) for f in dataclasses.fields(cls)],
    }


def test_a_class_made_through_the_cache_is_the_one_dataclasses_makes(tmp_path: Path) -> None:
    plain = make_class("Plain")
    cache = DataclassCodeCache(tmp_path / "methods.marshal")
    cache.install()
    try:
        cached = make_class("Cached")
    finally:
        cache.close()
    assert cache.used and not hasattr(dataclasses, "exec")
    assert describe(cached) == describe(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cached().port = 1


def test_the_file_is_read_back_and_only_new_text_is_compiled(tmp_path: Path) -> None:
    path = tmp_path / "methods.marshal"
    first = DataclassCodeCache(path)
    first.install()
    make_class("A")
    first.close()
    assert path.exists() and first.compiled == 0

    second = DataclassCodeCache(path)
    second.install()
    make_class("B")  # the same fields: the same text
    assert second.used and second.compiled == 0  # before close, which resets the count once it has written
    second.close()


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"not marshal at all" * 10])
def test_a_bad_file_is_compiled_again_and_rewritten(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "methods.marshal"
    path.write_bytes(content)
    cache = DataclassCodeCache(path)
    cache.install()
    cls = make_class("C")
    cache.close()
    assert cache.compiled == 0 and cls(port=3).port == 3  # compiled, then written: `compiled` is reset
    assert DataclassCodeCache(path).codes.keys() == cache.used.keys()


def test_nothing_is_written_without_bytecode_or_where_it_cannot_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "methods.marshal"
    cache = DataclassCodeCache(path)
    cache.install()
    make_class("D")
    cache.close()
    assert not path.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    blocked = tmp_path / "file" / "methods.marshal"
    (tmp_path / "file").write_text("a file where the directory would be")
    cache = DataclassCodeCache(blocked)
    cache.install()
    make_class("E")
    cache.close()  # no error: the next start compiles again
    assert not hasattr(dataclasses, "exec")


def test_warm_at_install_leaves_nothing_for_a_start_to_compile(tmp_path: Path) -> None:
    """`python -m lavalink_py.code_cache` (scripts/serve.sh) then a start's imports and build in a fresh
    interpreter: every method comes from the file."""
    path = tmp_path / "methods.marshal"
    warm = (
        "import sys; from pathlib import Path; from lavalink_py.code_cache import warm;"
        f"print(warm(Path({str(ROOT / 'application.yml')!r}), Path({str(path)!r})))"
    )
    held = int(subprocess.run([sys.executable, "-c", warm], capture_output=True, text=True, check=True,
                              cwd=ROOT).stdout.split()[-1])
    start = f"""
import asyncio, json, sys
from pathlib import Path
from lavalink_py.code_cache import DataclassCodeCache
cache = DataclassCodeCache(Path({str(path)!r}))
cache.install()
from lavalink_py.app import build_app
from lavalink_py.config import load_settings
settings = load_settings(Path({str(ROOT / 'application.yml')!r}), {{}}).settings
async def build():
    build_app(settings)
asyncio.run(build())
print(json.dumps({{"used": len(cache.used), "compiled": cache.compiled}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, check=True,
                                    cwd=ROOT).stdout.splitlines()[-1])
    assert held > 100 and out == {"used": held, "compiled": 0}
