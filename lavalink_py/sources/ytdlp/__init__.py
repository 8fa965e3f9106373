"""yt-dlp-backed source managers: YouTube (+ Music), SoundCloud, Bandcamp, Twitch, Vimeo, Niconico.

`build_ytdlp_managers(...)` is what the application calls; the modules below it:
extraction (the yt-dlp seam, run on an executor) -> site/sites (routing and field mapping per site)
-> manager (LoadResult and StreamSpec) with errors (FriendlyError severities) and streams (format choice, expiry).
"""

from lavalink_py.sources.ytdlp.extraction import Extract, ExtractRequest, YtdlpRunner, ytdlp_extract
from lavalink_py.sources.ytdlp.factory import BandcampSourceManager, build_ytdlp_managers, warm_up_ytdlp
from lavalink_py.sources.ytdlp.manager import YtdlpSourceManager
from lavalink_py.sources.ytdlp.streams import StreamCache

__all__ = [
    "BandcampSourceManager",
    "Extract",
    "ExtractRequest",
    "StreamCache",
    "YtdlpRunner",
    "YtdlpSourceManager",
    "build_ytdlp_managers",
    "warm_up_ytdlp",
    "ytdlp_extract",
]
