"""`plugins.youtube` (youtube-plugin's configuration, dev.lavalink.youtube.plugin.YoutubeConfig) mapped onto the
yt-dlp YouTube source.

Honoured: `enabled`, `allowSearch` (ytsearch:/ytmsearch:), `allowDirectVideoIds`, `allowDirectPlaylistIds`.
Not honourable with yt-dlp, each named in one warning: `clients` and `clientOptions` (yt-dlp picks its own InnerTube
clients), `oauth` (youtube-source's device-flow tokens), `pot` (a fixed poToken/visitorData pair), `remoteCipher`
(yt-dlp solves signatures itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lavalink_py.config import ConfigError
from lavalink_py.config.schema import canonical

_HONOURED = {"enabled", "allowsearch", "allowdirectvideoids", "allowdirectplaylistids"}
_UNSUPPORTED = {
    "clients": "yt-dlp chooses its own InnerTube clients",
    "clientoptions": "yt-dlp chooses its own InnerTube clients",
    "oauth": "youtube-source's OAuth tokens are not used by yt-dlp",
    "pot": "a fixed poToken/visitorData is not passed to yt-dlp",
    "remotecipher": "yt-dlp deciphers signatures itself",
}


@dataclass(frozen=True, slots=True)
class YoutubeOptions:
    enabled: bool = True
    allow_search: bool = True
    allow_direct_video_ids: bool = True
    allow_direct_playlist_ids: bool = True


def youtube_options(section: Mapping[str, Any]) -> tuple[YoutubeOptions, list[str]]:
    """The options a `plugins.youtube` block sets, and one warning per key the yt-dlp source cannot honour."""
    values: dict[str, bool] = {}
    warnings: list[str] = []
    fields = {"enabled": "enabled", "allowsearch": "allow_search", "allowdirectvideoids": "allow_direct_video_ids",
              "allowdirectplaylistids": "allow_direct_playlist_ids"}
    for key, value in section.items():
        name = canonical(str(key))
        where = f"plugins.youtube.{key}"
        if name in _HONOURED:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: expected true or false, got {value!r}")
            values[fields[name]] = value
        elif name in _UNSUPPORTED:
            warnings.append(f"{where}: not supported by the yt-dlp YouTube source ({_UNSUPPORTED[name]}); ignored")
        else:
            warnings.append(f"{where}: unknown key, ignored")
    return YoutubeOptions(**values), warnings
