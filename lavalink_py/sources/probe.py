"""Media probing with PyAV: what is at a URL or path, read off the event loop.

Opening media blocks (network, disk, demuxer probing), so `MediaProbe.probe` runs `probe_sync` in an executor.
A file must also decode (`_check_decodes`), not only open. Metadata follows lavaplayer's precedence: the
container's tags (title; artist, else album_artist), else the Icecast headers FFmpeg reports (icy-description
or icy-url as title, icy-name as author).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from lavalink_py.sources.containers import probe_name
from lavalink_py.sources.http_file import ForwardHttpFile

log = logging.getLogger(__name__)

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; lavalink_py)"


class ProbeError(Exception):
    """The media could not be opened (`unknown_format` False) or holds no audio FFmpeg can read (True)."""

    def __init__(
        self,
        message: str,
        *,
        unknown_format: bool,
        cause: str = "",
        timed_out: bool = False,
        rate_limited: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.unknown_format = unknown_format
        self.cause = cause
        self.timed_out = timed_out
        self.rate_limited = rate_limited  # the server answered 429: the route planner may try another address


@dataclass(frozen=True, slots=True)
class MediaInfo:
    format_name: str  # FFmpeg demuxer, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    title: str | None
    author: str | None
    length_ms: int | None  # None when unknown: a live stream
    is_live: bool
    codec: str
    sample_rate: int
    channels: int

    @property
    def container(self) -> str:
        """lavaplayer's probe name for this container (see `containers`)."""
        return probe_name(self.format_name)


def _tag(tags: Mapping[str, str], *names: str) -> str | None:
    lowered = {key.lower(): value for key, value in tags.items()}
    for name in names:
        value = lowered.get(name, "").strip()
        if value:
            return value
    return None


def _length_ms(container: Any, stream: Any) -> int | None:
    if container.duration is not None and container.duration > 0:
        return int(container.duration // 1000)  # AV_TIME_BASE is microseconds
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return int(stream.duration * stream.time_base * 1000)
    return None


# Loading decodes the first packets, as lavaplayer's probes read the media: random bytes named .mp3 contain
# enough sync words for FFmpeg's demuxer, but only an occasional packet of them decodes.
PROBE_FRAMES = 3
PROBE_MAX_ERRORS = 10
PROBE_MAX_PACKETS = 64


def _check_decodes(source: str, container: Any, stream: Any) -> None:
    import av.error

    decoded = errors = packets = 0
    demuxer = container.demux(stream)
    while True:
        try:
            packet = next(demuxer, None)
        except (av.error.FFmpegError, OSError) as exc:
            raise ProbeError(f"Could not read the media: {exc}", unknown_format=False, cause=str(exc)) from exc
        if packet is None:
            break
        packets += 1
        try:
            decoded += bool(packet.decode())
        except av.error.FFmpegError:
            errors += 1
        if decoded >= PROBE_FRAMES:
            return
        if errors >= PROBE_MAX_ERRORS or packets >= PROBE_MAX_PACKETS:
            break
    if decoded and errors == 0:
        return  # a short file: every packet decoded
    cause = f"{decoded} of {packets} packets decoded as {stream.codec_context.name} in {source}"
    raise ProbeError("Unknown file format.", unknown_format=True, cause=cause)


class MediaProbe:
    def __init__(
        self,
        *,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 3.0,
        user_agent: str = DEFAULT_USER_AGENT,
        executor: Executor | None = None,
    ) -> None:
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
        self.user_agent = user_agent
        self._executor = executor

    def ffmpeg_options(self, source: str) -> dict[str, str]:
        """FFmpeg options for opening `source`: identity and socket timeouts for HTTP, nothing for files."""
        if not source.startswith(("http://", "https://")):
            return {}
        return {
            "user_agent": self.user_agent,
            # FFmpeg's tcp `timeout` (microseconds) bounds connect and each read.
            "timeout": str(int(max(self.connect_timeout_s, self.read_timeout_s) * 1_000_000)),
        }

    async def probe(self, source: str, extra_options: Mapping[str, str] | None = None) -> MediaInfo:
        """`extra_options` are added to the FFmpeg options (the route planner's `local_addr`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.probe_sync, source, extra_options)

    def probe_sync(self, source: str, extra_options: Mapping[str, str] | None = None) -> MediaInfo:
        try:
            return self._probe_with(source, source, {**self.ffmpeg_options(source), **(extra_options or {})})
        except ProbeError as exc:
            if exc.unknown_format or exc.timed_out or exc.rate_limited or not source.startswith(("http://", "https://")):
                raise
            # FFmpeg could not read it over HTTP: a server that ignores Range serves an MP4 whose index follows
            # its samples unreadably (the demuxer must go back). Read it forwards into a copy and try once more.
            log.info("probing %s through a forward-read copy after: %s", source, exc.message)
            try:
                forward = ForwardHttpFile(
                    source, headers={"User-Agent": self.user_agent}, timeout_s=self.read_timeout_s
                )
            except OSError:
                raise exc from None
            with forward:
                try:
                    return self._probe_with(source, forward, {})
                except ProbeError:
                    raise exc from None

    def _probe_with(self, source: str, media: Any, options: dict[str, str]) -> MediaInfo:
        # PyAV is imported here, on the executor running the first probe, not at start-up (issue 11).
        import av
        import av.error

        try:
            container = av.open(
                media,
                options=options,
                timeout=(self.connect_timeout_s, self.read_timeout_s),
                metadata_errors="replace",
            )
        except av.error.HTTPTooManyRequestsError as exc:
            message = f"Could not open the media: {exc}"
            raise ProbeError(message, unknown_format=False, cause=str(exc), rate_limited=True) from exc
        except av.error.InvalidDataError as exc:
            raise ProbeError("Unknown file format.", unknown_format=True, cause=str(exc)) from exc
        except av.error.ExitError as exc:
            # PyAV's timeout interrupts FFmpeg, which reports it as "Immediate exit requested".
            message = f"No answer within {self.connect_timeout_s:g} s (connect) / {self.read_timeout_s:g} s (read)"
            raise ProbeError(message, unknown_format=False, cause=f"TimeoutError: {message}", timed_out=True) from exc
        except (av.error.FFmpegError, OSError) as exc:
            raise ProbeError(f"Could not open the media: {exc}", unknown_format=False, cause=str(exc)) from exc
        with container:
            return self._describe(source, container)

    def _describe(self, source: str, container: Any) -> MediaInfo:
        if not container.streams.audio:
            raise ProbeError("Unknown file format.", unknown_format=True, cause=f"no audio stream in {source}")
        stream = container.streams.audio[0]
        _check_decodes(source, container, stream)
        tags = {**dict(container.metadata), **dict(stream.metadata)}
        length_ms = _length_ms(container, stream)
        is_live = length_ms is None
        ctx = stream.codec_context
        return MediaInfo(
            format_name=container.format.name,
            title=_tag(tags, "title", "icy-description", "icy-url"),
            author=_tag(tags, "artist", "album_artist", "icy-name"),
            length_ms=None if is_live else length_ms,
            is_live=is_live,
            codec=ctx.name,
            sample_rate=int(ctx.sample_rate or 0),
            channels=int(ctx.channels or 0),
        )
