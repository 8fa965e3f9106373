#!/usr/bin/env bash
# Starts the node on the bundled application.yml, installing what it needs first.
#
# pip runs only when pyproject.toml changed since the last install (a stamp in the venv holds its hash): a restart
# does not pay pip's ~1-2 s resolve. Bytecode is compiled at install, so the first start does not compile either.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${LAVALINK_PY_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.lavalink-py-installed"
wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
    "$venv/bin/pip" install -q --disable-pip-version-check --compile -e .
    # An editable install leaves our own sources uncompiled; compile them once here.
    "$venv/bin/python" -m compileall -q -j 0 lavalink_py
    # And the methods @dataclass writes at every start (lavalink_py/code_cache.py).
    "$venv/bin/python" -m lavalink_py.code_cache application.yml >/dev/null
    echo "$wanted" >"$stamp"
fi
exec "$venv/bin/lavalink-py" --config application.yml "$@"
