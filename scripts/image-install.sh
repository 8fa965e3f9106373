#!/usr/bin/env bash
# Installs lavalink_py into PREFIX the way the container image does: a virtualenv holding the package (not an
# editable install), bytecode compiled at install so a read-only root filesystem never needs to write any.
# The Dockerfile runs this script, and so does the test suite (tests/deploy/test_image.py).
set -euo pipefail
prefix="${1:?usage: scripts/image-install.sh PREFIX}"
src="$(cd "$(dirname "$0")/.." && pwd)"

# pip builds in the source tree it is given; a copy keeps build/ and *.egg-info out of the checkout.
staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
cp -r "$src/pyproject.toml" "$src/README.md" "$src/lavalink_py" "$staging/"

python3 -m venv "$prefix"
# shellcheck disable=SC2086 # PIP_INSTALL_ARGS is a list of flags
"$prefix/bin/pip" install -q --disable-pip-version-check ${PIP_INSTALL_ARGS:-} "$staging"
"$prefix/bin/python" -m compileall -q -j 0 "$prefix/lib"
# The methods @dataclass writes at every start, compiled like the bytecode (lavalink_py/code_cache.py); run from
# $prefix so that the installed package is the one imported, not the checkout.
(cd "$prefix" && "$prefix/bin/python" -m lavalink_py.code_cache "$src/application.yml" >/dev/null)
"$prefix/bin/lavalink-py" --version
