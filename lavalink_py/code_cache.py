"""Start-up: the methods `dataclasses` writes for every dataclass, compiled once and kept (issue 11).

`@dataclass` writes each class's `__init__`, `__repr__`, `__eq__`, `__setattr__`... as source text and compiles it
with `exec`, class by class, at every start: the node's ~120 dataclasses cost ~70 ms of a ~350 ms start that way,
most of it in the compiler. What it compiles is the same text every time (the text names its defaults and types
as arguments, it holds no values), so the code objects are kept in a file beside the package's bytecode, keyed by
that text, and read back at the next start. A text not in the file is compiled as before (and added), so a stale
or missing file only costs the compile; the file is written like bytecode (not when PYTHONDONTWRITEBYTECODE is
set, not where the package cannot be written).

While installed it is `dataclasses`'s own `exec` (a module global shadows the builtin for that module alone):
only the text `dataclasses` runs goes through it. `cli.main` installs it before the first import of the node and
removes it once the node listens (`app.serve`'s `on_listening`), so nothing after start-up runs through it.
`python -m lavalink_py.code_cache` writes the file at install time (scripts/serve.sh, beside compileall), as a
start-up would.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

FILE = Path(__file__).resolve().parent / "__pycache__" / f"dataclass-methods.{sys.implementation.cache_tag}.marshal"


class DataclassCodeCache:
    def __init__(self, path: Path = FILE) -> None:
        self.path = path
        self.codes: dict[str, CodeType] = _read(path)
        # What this start-up ran, and how much of it was not in the file; `close` writes the first when the
        # second is not 0, so the file holds one start-up's methods and does not grow with every change.
        self.used: dict[str, CodeType] = {}
        self.compiled = 0

    def exec(self, source: Any, globals: dict[str, Any] | None = None, locals: Any = None, /) -> None:
        if isinstance(source, str):
            text = source
            code = self.codes.get(text)
            if code is None:
                # dont_inherit: not this module's `from __future__` flags, as dataclasses.py (which has none) would
                code = self.codes[text] = compile(text, "<string>", "exec", dont_inherit=True)
                self.compiled += 1
            self.used[text] = code
            source = code
        builtins.exec(source, globals, locals)

    def install(self) -> None:
        dataclasses.exec = self.exec  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        """`dataclasses` compiles for itself again."""
        if getattr(dataclasses, "exec", None) == self.exec:
            del dataclasses.exec  # type: ignore[attr-defined]

    def close(self) -> None:
        """Uninstalled; what was compiled here is written for the next start."""
        self.uninstall()
        if self.compiled and not sys.dont_write_bytecode:
            _write(self.path, self.used)
            self.compiled = 0


def _read(path: Path) -> dict[str, CodeType]:
    try:
        codes = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}  # none yet, or written by another interpreter: compiled again
    return codes if isinstance(codes, dict) else {}


def _write(path: Path, codes: dict[str, CodeType]) -> None:
    # As the import system writes bytecode: to a temporary file, then renamed, so a reader never sees half a file.
    with contextlib.suppress(OSError):
        path.parent.mkdir(exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(marshal.dumps(codes))
            os.replace(temporary, path)
        except OSError:
            os.unlink(temporary)


def warm(config: Path, path: Path = FILE) -> int:
    """What a start-up on `config` compiles (the node's modules, the app built), written to `path` whatever
    PYTHONDONTWRITEBYTECODE says, as compileall does; returns how many methods the file holds."""
    import asyncio

    cache = DataclassCodeCache(path)
    cache.install()
    try:
        from lavalink_py.app import build_app
        from lavalink_py.config import load_settings

        settings = load_settings(config, {}).settings

        async def build() -> None:
            build_app(settings)

        asyncio.run(build())
    finally:
        cache.uninstall()
    _write(path, cache.used)
    return len(cache.used)


if __name__ == "__main__":
    print(f"{warm(Path(sys.argv[1] if len(sys.argv) > 1 else 'application.yml'))} dataclass methods compiled to {FILE}")
