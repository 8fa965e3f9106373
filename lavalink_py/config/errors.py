"""The one exception of the config package."""

from __future__ import annotations


class ConfigError(Exception):
    """A bad setting. The message reads `<key path>: expected <what>, got <value>` (or `: required`, ...)."""
