"""Lavalink's `lavalink.plugins` (Maven coordinates of JVM plugins): what stands in for each here.

Nothing is downloaded. Each entry gets one log line at start-up: the bundled Python part that does its job, or that
nothing does (its `plugins.<name>` block is then unused).
"""

from __future__ import annotations

from collections.abc import Sequence

from lavalink_py.config.settings import PluginDeclaration

# group:artifact -> what stands in for it; absent -> nothing does.
STAND_INS = {
    "dev.lavalink.youtube:youtube-plugin": "the bundled yt-dlp YouTube source (configured by plugins.youtube)",
    "com.github.topi314.lavasrc:lavasrc-plugin": (
        "the bundled lavasrc plugin (Spotify, Apple Music, Deezer mirrored through plugins.lavasrc.providers; "
        "lavalink_py/bundled/lavasrc)"
    ),
    "com.github.topi314.lavasearch:lavasearch-plugin": "the bundled lavasearch-plugin (/v4/loadsearch)",
    "com.github.topi314.sponsorblock:sponsorblock-plugin": "the bundled sponsorblock-plugin (configured by "
    "plugins.sponsorblock)",
    "com.github.topi314.lavalyrics:lavalyrics-plugin": "the bundled lavalyrics-plugin (LRCLIB; configured by "
    "plugins.lavalyrics)",
}
# Known plugins with no stand-in yet, so the line can say what they were for.
KNOWN = {
    "me.duncte123:skybot-lavalink-plugin": "Skybot sources",
}


def artifact(dependency: str) -> str:
    """`group:artifact:version` -> `group:artifact`."""
    parts = dependency.split(":")
    return ":".join(parts[:2])


def declared_plugin_lines(declarations: Sequence[PluginDeclaration]) -> list[str]:
    lines = []
    for i, declaration in enumerate(declarations):
        key = artifact(declaration.dependency)
        where = f"lavalink.plugins[{i}]: {declaration.dependency}"
        if key in STAND_INS:
            lines.append(f"{where}: JVM plugin not loaded; {STAND_INS[key]} stands in for it")
        elif key in KNOWN:
            lines.append(f"{where}: JVM plugin not loaded; nothing stands in for {KNOWN[key]} yet")
        else:
            lines.append(f"{where}: JVM plugin not loaded; no Python plugin stands in for it")
    return lines


def stands_in(declarations: Sequence[PluginDeclaration], group_artifact: str) -> bool:
    return any(artifact(d.dependency) == group_artifact for d in declarations)
