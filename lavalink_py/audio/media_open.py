"""Opening a track's media for a stream: timeouts, servers without Range, the timeline origin and the seek.

Sequence (in a pool thread): open (FFmpeg's http/file protocol, `ForwardHttpFile` for a server that ignores
Range, or a plugin's own file object, `StreamSpec.open_file`) -> first audio stream -> when starting mid-track:
the origin (timestamp of the first sample the decoder hands out) -> seek backwards to the keyframe before the
target minus a pre-roll. A container that cannot seek
is reopened and read forwards; the pipeline discards what lies before the target either way.

Timeouts: a stalled source must be reported stuck first (the buffer drains, then `trackStuckThresholdMs` with
no frame), so one socket read may wait that long plus a margin before FFmpeg reconnects; a closed connection
is retried at once, without backoff (`reconnect_delay_max` 0; lavaplayer's PersistentHttpStream also retries a
reset connection right away), and then fails the track: about 1 s after the reader reaches the lost data,
where a 1 s backoff took 3 s (FFmpeg runs several reconnect rounds per read).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

import av

from lavalink_py.audio.frames import SAMPLE_RATE
from lavalink_py.audio.results import AudioError, Severity
from lavalink_py.audio.settings import EngineSettings
from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.http_file import ForwardHttpFile

log = logging.getLogger(__name__)

# FFmpeg's http protocol: resume a dropped body with a Range request at once; give up on a dead server quickly.
HTTP_OPTIONS = {
    "reconnect": "1",
    "reconnect_streamed": "1",
    "reconnect_on_network_error": "1",
    "reconnect_delay_max": "0",
}
OPEN_TIMEOUT_S = 10.0
READ_MARGIN_S = 5.0
# Decoders need some audio before the target to be warm (MP3's bit reservoir, Opus' 80 ms, AAC's overlap).
SEEK_PREROLL_MS = 100
# Packets decoded from the start to find the origin (Vorbis outputs nothing for its first packet).
ORIGIN_PACKETS = 32


def read_timeout_s(settings: EngineSettings) -> float:
    """How long one read may block: longer than it takes the buffer to drain and the track to be stuck."""
    return (settings.frame_buffer_ms + settings.stuck_threshold_ms) / 1000 + READ_MARGIN_S


@dataclass(slots=True)
class OpenedMedia:
    container: Any
    stream: Any
    origin: int  # timestamp of position 0, in 48 kHz samples

    def close(self) -> None:
        close_container(self.container)


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _open_container(spec: StreamSpec, settings: EngineSettings, from_ms: int = 0) -> tuple[Any, StreamSpec]:
    """Open `spec`; a 429 with a route planner is tried again from the planner's next address (as a load is).
    Also returns the spec that opened (its `local_addr` the address that served), for a reopen."""
    retries = 0
    while True:
        try:
            return _open_once(spec, settings, from_ms), spec
        except _RateLimited as limited:
            address = None if spec.reroute is None else spec.reroute(spec.options.get("local_addr"), retries)
            if address is None:
                raise AudioError("Failed to open the track.", Severity.COMMON, limited.cause) from limited.error
            log.info("%s answered 429; opening it again from /%s", spec.url, address)
            spec = replace(spec, options=spec.options | {"local_addr": address})
            retries += 1


class _RateLimited(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error
        self.cause = f"{type(error).__name__}: {error}"


def _open_once(spec: StreamSpec, settings: EngineSettings, from_ms: int) -> Any:
    timeout_s = read_timeout_s(settings)
    source: Any = spec.url
    options = dict(spec.options)
    if spec.open_file is not None:
        # A plugin's source makes the bytes itself: PyAV reads its file object (a new one per open, the reopen
        # after a failed seek included); `url` is only a name for the logs. The node's own HLS reader with a
        # route planner (`HlsFile`) comes this way too.
        try:
            source = spec.open_file_at(from_ms) if from_ms and spec.open_file_at else spec.open_file()
        except OSError as exc:
            raise AudioError("Failed to open the track.", Severity.COMMON, f"{type(exc).__name__}: {exc}") from exc
    elif _is_http(spec.url):
        for key, value in HTTP_OPTIONS.items():
            options.setdefault(key, value)
        options["timeout"] = str(int(timeout_s * 1_000_000))  # FFmpeg's tcp rw timeout, microseconds
        if not spec.seekable and not spec.is_live:
            headers = {"User-Agent": options["user_agent"]} if "user_agent" in options else {}
            try:
                source = ForwardHttpFile(
                    spec.url, headers=headers, timeout_s=timeout_s, source_address=options.get("local_addr")
                )
            except OSError as exc:
                if getattr(exc, "code", None) == 429:
                    raise _RateLimited(exc) from exc
                raise AudioError("Failed to open the track.", Severity.COMMON, f"{type(exc).__name__}: {exc}") from exc
            options = {}
    try:
        # PyAV's read timeout is a last resort above FFmpeg's own (which reconnects): twice the socket timeout.
        return av.open(source, options=options, timeout=(OPEN_TIMEOUT_S, 2 * timeout_s + OPEN_TIMEOUT_S))
    except av.FFmpegError as exc:
        if not isinstance(source, str):
            source.close()
        if isinstance(exc, av.error.HTTPTooManyRequestsError):
            raise _RateLimited(exc) from exc
        raise AudioError("Failed to open the track.", Severity.COMMON, f"{type(exc).__name__}: {exc}") from exc


def close_container(container: Any) -> None:
    """Close a container and the Python file it reads, if any (PyAV leaves file objects open): a
    `ForwardHttpFile` or a plugin's `StreamSpec.open_file` object."""
    source = getattr(container, "file", None)
    # PyAV 18 keeps its own wrapper (`PyIOFile`) there; the object it was given is the wrapper's `file`.
    source = getattr(source, "file", source)
    try:
        container.close()
    finally:
        if source is not None and not isinstance(source, str) and hasattr(source, "close"):
            source.close()


def _first_sample_ts(container: Any, stream: Any) -> int | None:
    """Timestamp (48 kHz samples) of the first decoded frame: what continuous playback calls position 0.

    Not always `start_time`: the Vorbis decoder's first output carries the second packet's timestamp, so a
    seek computed from `start_time` would land one packet (~23 ms) early.
    """
    for packet in islice(container.demux(stream), ORIGIN_PACKETS):
        try:
            frames = packet.decode()
        except av.FFmpegError:
            continue
        for frame in frames:
            if frame.pts is not None and frame.time_base is not None:
                ts: int = round(frame.pts * frame.time_base * SAMPLE_RATE)
                return ts
    return None


def _seek(container: Any, start_ms: int, origin: int) -> None:
    target_ms = max(0, start_ms - SEEK_PREROLL_MS)
    container.seek(target_ms * 1000 + origin * 1_000_000 // SAMPLE_RATE, backward=True)


def open_media(spec: StreamSpec, start_ms: int, settings: EngineSettings) -> OpenedMedia:
    container, spec = _open_container(spec, settings)
    try:
        if not container.streams.audio:
            raise AudioError("The media has no audio stream.", Severity.COMMON, f"no audio in {spec.url}")
        stream = container.streams.audio[0]
        origin = 0
        if stream.start_time is not None and stream.time_base is not None:
            origin = round(stream.start_time * stream.time_base * SAMPLE_RATE)
        if start_ms <= 0 or spec.is_live:
            return OpenedMedia(container, stream, origin)
        origin = _first_sample_ts(container, stream) or origin
        try:
            _seek(container, start_ms, origin)
        except av.FFmpegError as exc:
            log.info("seeking %s failed (%s): reading forward to %d ms", spec.url, exc, start_ms)
            close_container(container)
            # A file that can start later (HLS read by the node: at the segment holding the target) saves reading
            # all that lies before; its timestamps are the media's, so the origin found above still holds.
            container, spec = _open_container(spec, settings, max(0, start_ms - SEEK_PREROLL_MS))
            stream = container.streams.audio[0]
        return OpenedMedia(container, stream, origin)
    except BaseException:
        close_container(container)
        raise
