"""lavalink_py: a Lavalink v4-compatible audio node."""

__version__ = "0.1.0"
