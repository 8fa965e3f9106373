"""Plugins shipped with lavalink_py, each standing in for a Lavalink JVM plugin. They use only the public plugin API
(`lavalink_py.plugins.api`) and load when configured (see lavalink_py/plugins/bundled.py and docs/plugins.md)."""
