"""lavalink_py: a Lavalink v4-compatible audio node."""

__version__ = "0.1.0"
# The Lavalink API level this node implements; reported as the semantic version of /version and /v4/info.
LAVALINK_API_VERSION = "4.2.2"
