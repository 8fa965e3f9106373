"""Typed settings from `application.yml` (Lavalink's key names) and the environment, plus logging set-up.

Exceptions:
    ConfigError(Exception)    a setting is missing, unreadable or out of range; the message starts with the key
                              path (or the environment variable) and says what was expected.
"""

from lavalink_py.config.errors import ConfigError
from lavalink_py.config.loader import LoadedSettings, bind_section, default_settings, load_settings, settings_from_dict
from lavalink_py.config.logs import configure_logging, log_context
from lavalink_py.config.settings import Settings

__all__ = [
    "ConfigError",
    "LoadedSettings",
    "Settings",
    "bind_section",
    "configure_logging",
    "default_settings",
    "load_settings",
    "log_context",
    "settings_from_dict",
]
