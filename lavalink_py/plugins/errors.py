"""Exceptions of the plugin loader (see lavalink_py/plugins/__init__.py for the tree)."""

from __future__ import annotations


class PluginLoadError(Exception):
    """A plugin could not be found, imported or set up; the message names it. Start-up stops with exit 2."""
