#!/usr/bin/env bash
# Starts the node on the bundled application.yml, installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${LAVALINK_PY_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -e .
exec "$venv/bin/lavalink-py" --config application.yml "$@"
