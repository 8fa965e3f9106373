"""Choosing the media URL from an info dict, and remembering it until the CDN stops honouring it.

Signed CDN URLs carry their own deadline (googlevideo's `expire=` query parameter or `/expire/<ts>/` path part,
`Expires=` elsewhere); anything else is trusted for a fixed TTL. Time is always an argument (`now`, Unix seconds).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lavalink_py.sources.base import StreamSpec
from lavalink_py.sources.ytdlp.mapping import is_live

_EXPIRE_KEYS = ("expire", "expires", "Expires")
_EXPIRE_PATH = re.compile(r"/expire/(\d{9,12})(?:/|$)")
_OPUS_CONTAINERS = frozenset({"webm", "ogg", "opus"})


@dataclass(frozen=True, slots=True)
class ResolvedStream:
    url: str
    headers: tuple[tuple[str, str], ...]
    is_live: bool
    protocol: str = ""
    codec: str = ""


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _rank(index: int, fmt: Mapping[str, Any]) -> tuple[bool, int, float, bool, float, int]:
    acodec = str(fmt.get("acodec") or "")
    ext = str(fmt.get("ext") or "")
    audio_only = fmt.get("vcodec") == "none"
    if acodec.startswith("opus") and ext in _OPUS_CONTAINERS:
        codec_rank = 2
    elif ext == "m4a" or acodec.startswith("mp4a"):
        codec_rank = 1
    else:
        codec_rank = 0
    total = _number(fmt.get("tbr"))
    audio_bitrate = _number(fmt.get("abr")) or (total if audio_only else 0.0)
    # Muxed renditions (live HLS) pay for video we throw away: take the cheapest one whose audio is not the
    # low-rate kind the smallest renditions get (YouTube pairs 48 kbit/s HE-AAC with 144p and 240p).
    decent_audio = audio_only or _number(fmt.get("height")) >= 360
    return audio_only, codec_rank, audio_bitrate, decent_audio, -total, index


_COOKIE_ATTRIBUTES = frozenset({"domain", "path", "secure", "expires", "version", "httponly", "max-age", "samesite"})


def _cookie_header(cookies: object) -> str | None:
    """yt-dlp hands cookies over in Set-Cookie syntax ("a=1; Domain=...; Path=/; b=2"); the request wants "a=1; b=2"."""
    if not isinstance(cookies, str):
        return None
    pairs = [
        part.strip()
        for part in cookies.split(";")
        if "=" in part and part.split("=", 1)[0].strip().lower() not in _COOKIE_ATTRIBUTES
    ]
    return "; ".join(pairs) or None


def _headers(source: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    raw = source.get("http_headers")
    pairs = raw.items() if isinstance(raw, Mapping) else ()
    headers = [(str(k), str(v)) for k, v in pairs if str(k).lower() != "cookie"]
    cookie = _cookie_header(source.get("cookies"))
    if cookie:
        headers.append(("Cookie", cookie))
    return tuple(headers)


def choose_stream(info: Mapping[str, Any]) -> ResolvedStream | None:
    """Best audio: audio-only beats muxed, Opus in WebM/Ogg (passthrough) beats AAC beats the rest, then bitrate."""
    usable = [
        (index, fmt)
        for index, fmt in enumerate(info.get("formats") or ())
        if isinstance(fmt, Mapping)
        and isinstance(fmt.get("url"), str)
        and fmt.get("acodec") != "none"
        and not fmt.get("has_drm")
        and fmt.get("protocol") not in ("mhtml", "f4m")
    ]
    if usable:
        _, best = max(usable, key=lambda pair: _rank(*pair))
        return ResolvedStream(best["url"], _headers(best) or _headers(info), is_live(info),
                              str(best.get("protocol") or ""), str(best.get("acodec") or ""))
    url = info.get("url")
    if isinstance(url, str) and url:
        return ResolvedStream(url, _headers(info), is_live(info), str(info.get("protocol") or ""),
                              str(info.get("acodec") or ""))
    return None


def url_expiry(url: str) -> float | None:
    """The Unix time a signed URL stops working, when the URL says so."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for key in _EXPIRE_KEYS:
        for value in query.get(key, ()):
            if value.isdigit():
                return float(value)
    match = _EXPIRE_PATH.search(parts.path)
    return float(match.group(1)) if match else None


def ffmpeg_options(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """AVOptions for `av.open`: ffmpeg's http protocol (and the HLS demuxer after it) sends `headers` as given."""
    if not headers:
        return {}
    return {"headers": "".join(f"{name}: {value}\r\n" for name, value in headers)}


@dataclass(frozen=True, slots=True)
class _Entry:
    stream: ResolvedStream
    expires_at: float


class StreamCache:
    """Resolved streams by track key, dropped `margin_s` before they expire and beyond `max_entries` (LRU)."""

    def __init__(
        self, *, default_ttl_s: float = 1800.0, live_ttl_s: float = 300.0, margin_s: float = 30.0,
        max_entries: int = 1024,
    ) -> None:
        self._default_ttl_s = default_ttl_s
        # Live manifest URLs without a stated deadline (Twitch's) are tokened per viewer session: trust them less.
        self._live_ttl_s = live_ttl_s
        self._margin_s = margin_s
        self._max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> StreamSpec | None:
        entry = self._entries.get(key)
        if entry is None or entry.expires_at - self._margin_s <= now:
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return self._spec(entry, now)

    def put(self, key: str, stream: ResolvedStream, now: float) -> StreamSpec:
        expires_at = url_expiry(stream.url)
        if expires_at is None:
            expires_at = now + (self._live_ttl_s if stream.is_live else self._default_ttl_s)
        entry = _Entry(stream, expires_at)
        if entry.expires_at - self._margin_s > now:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return self._spec(entry, now)

    def _spec(self, entry: _Entry, now: float) -> StreamSpec:
        return StreamSpec(
            entry.stream.url,
            ffmpeg_options(entry.stream.headers),
            max(0.0, entry.expires_at - now),
            entry.stream.is_live,
            hls=entry.stream.protocol.startswith("m3u8"),  # yt-dlp's "m3u8" and "m3u8_native"
        )
