"""Fails at import, as a plugin built against a missing dependency does."""

raise ImportError("lavalink_py_broken needs a library that is not installed")
