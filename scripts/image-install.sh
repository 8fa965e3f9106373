#!/usr/bin/env bash
# Installs lavalink_py into PREFIX the way the container image does: a virtualenv holding the package (not an
# editable install), bytecode compiled at install so a read-only root filesystem never needs to write any.
# The Dockerfile runs this script, and so does the test suite (tests/deploy/test_image.py).
set -euo pipefail
prefix="${1:?usage: scripts/image-install.sh PREFIX}"
src="$(cd "$(dirname "$0")/.." && pwd)"

python3 -m venv "$prefix"
# shellcheck disable=SC2086 # PIP_INSTALL_ARGS is a list of flags
"$prefix/bin/pip" install -q --disable-pip-version-check ${PIP_INSTALL_ARGS:-} "$src"
"$prefix/bin/python" -m compileall -q -j 0 "$prefix/lib"
"$prefix/bin/lavalink-py" --version
