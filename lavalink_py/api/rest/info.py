"""`GET /version`, `GET /v4/info`, `GET /v4/stats`."""

from __future__ import annotations

import functools
import platform
import re
from importlib.metadata import version as distribution_version
from typing import Any

from aiohttp import web

from lavalink_py import __version__
from lavalink_py.api.json import json_response
from lavalink_py.api.keys import NODE, OPTIONS
from lavalink_py.protocol.messages import stats_json

routes = web.RouteTableDef()


@functools.cache
def _pyav_version() -> str:
    # From the installed metadata: importing PyAV for its version would load the audio stack at start-up.
    return distribution_version("av")


_SEMVER = re.compile(
    r"^(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)


def version_json(semver: str) -> dict[str, Any]:
    match = _SEMVER.match(semver)
    if match is None:
        raise ValueError(f"not a semantic version: {semver}")
    return {
        "semver": semver,
        "major": int(match["major"]),
        "minor": int(match["minor"]),
        "patch": int(match["patch"]),
        "preRelease": match["pre"],
        "build": match["build"],
    }


@routes.get("/version")
async def version(request: web.Request) -> web.Response:
    return web.Response(text=request.app[OPTIONS].version)


@routes.get("/v4/info")
async def info(request: web.Request) -> web.Response:
    options = request.app[OPTIONS]
    node = request.app[NODE]
    return json_response(
        {
            "version": version_json(options.version),
            "buildTime": 0,
            "git": {"branch": "unknown", "commit": "unknown", "commitTime": 0},
            "jvm": f"{platform.python_implementation()} {platform.python_version()}",
            "lavaplayer": f"lavalink-py {__version__} (PyAV {_pyav_version()})",
            "sourceManagers": node.loader.names(),
            "filters": [name for name in node.audio.filters.names() if name not in options.disabled_filters],
            "plugins": [{"name": name, "version": version} for name, version in options.plugins],
        }
    )


@routes.get("/v4/stats")
async def stats(request: web.Request) -> web.Response:
    return json_response(stats_json(request.app[NODE].stats()))
