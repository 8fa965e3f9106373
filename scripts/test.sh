#!/usr/bin/env bash
# Runs the whole suite on a fresh machine: system packages, a virtualenv, linters, type checks, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus (promtool, and a real server for the scrape tests), prometheus-alertmanager (amtool).
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1 || ! command -v amtool >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
fi

# Node.js and npm, for the JavaScript Lavalink client (lavalink-client) the plugin tests drive (tests/js).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
npm ci --prefix tests/js --no-audit --no-fund --silent

venv="${LAVALINK_PY_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -e '.[test]'

"$venv/bin/ruff" check .
"$venv/bin/mypy"
"$venv/bin/lint-imports" --no-cache
exec "$venv/bin/pytest" -q "$@"
