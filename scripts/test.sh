#!/usr/bin/env bash
# Runs the whole suite on a fresh machine: system packages, a virtualenv, linters, type checks, tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus (promtool, and a real server for the scrape tests), prometheus-alertmanager (amtool),
# chromium-headless-shell (the status page's browser tests), node and npm (the npm Lavalink clients).
need=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
command -v chromium-headless-shell >/dev/null 2>&1 || need+=(chromium-headless-shell fonts-dejavu-core)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ "${#need[@]}" -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

venv="${LAVALINK_PY_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -e '.[test]'

# The npm Lavalink clients the tests drive (shoukaku in tests/clients/js, lavalink-client for the bundled plugins
# in tests/js), pinned by their package-lock.json; `npm ci` only when a lockfile changed since the last install,
# which a stamp inside node_modules records.
for js in tests/clients/js tests/js; do
    lock_sum="$(sha256sum "$js/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$js/node_modules/.lavalink-py-lock.sha256" 2>/dev/null)" != "$lock_sum" ]; then
        (cd "$js" && npm ci --no-audit --no-fund --loglevel=error)
        echo "$lock_sum" >"$js/node_modules/.lavalink-py-lock.sha256"
    fi
done

"$venv/bin/ruff" check .
"$venv/bin/mypy"
"$venv/bin/lint-imports" --no-cache
# Three test processes on CI's two cores: most tests wait on audio in real time, so the cores stay busy.
exec "$venv/bin/pytest" -q -n "${LAVALINK_PY_TEST_PROCESSES:-3}" "$@"
