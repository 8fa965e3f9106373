"""HLS media playlists as the node's own reader sees them (hls_playlist.py), and HlsFile over a local server:
fMP4 init sections, byte ranges, AES-128 and a 429 that the route answers with the next address."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from lavalink_py.sources.hls_file import HlsFile, ffmpeg_headers
from lavalink_py.sources.hls_playlist import InitSection, Key, parse_media
from tests.fakes.lyrics_services import serve

BASE = "https://cdn.example/a/b/media.m3u8"


def test_segments_with_sequence_byte_ranges_map_and_keys() -> None:
    text = b"""#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:41
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXTINF:3.5,
seg41.m4s
#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1",IV=0x0000000000000000000000000000002A
#EXT-X-BYTERANGE:1000@0
#EXTINF:4.0,title
../all.ts
#EXT-X-BYTERANGE:500
#EXTINF:4.0,
../all.ts
#EXT-X-KEY:METHOD=NONE
#EXTINF:2.0,
https://other.example/seg44.ts
#EXT-X-ENDLIST
"""
    playlist = parse_media(text, BASE)
    assert playlist.target_duration_s == 4.0 and playlist.ended
    init = InitSection("https://cdn.example/a/b/init.mp4", (0, 720))
    key = Key("AES-128", "https://keys.example/k1", (42).to_bytes(16, "big"))
    assert [(s.url, s.sequence, s.duration_s, s.byte_range, s.key) for s in playlist.segments] == [
        ("https://cdn.example/a/b/seg41.m4s", 41, 3.5, None, None),
        ("https://cdn.example/a/all.ts", 42, 4.0, (0, 1000), key),
        ("https://cdn.example/a/all.ts", 43, 4.0, (1000, 500), key),  # no offset: right after the previous range
        ("https://other.example/seg44.ts", 44, 2.0, None, None),
    ]
    assert {s.init for s in playlist.segments} == {init}


def test_a_live_playlist_without_target_or_endlist() -> None:
    playlist = parse_media(b"#EXTM3U\n#EXTINF:bad,\ns1.ts\n#EXTINF:2,\ns2.ts\n", BASE)
    assert not playlist.ended and playlist.target_duration_s == 10.0
    assert [(s.sequence, s.duration_s) for s in playlist.segments] == [(0, 0.0), (1, 2.0)]


def test_ffmpeg_headers() -> None:
    assert ffmpeg_headers({"headers": "Referer: https://x\r\nCookie: a=1; b=2\r\n", "user_agent": "ua/1"}) == {
        "Referer": "https://x", "Cookie": "a=1; b=2", "User-Agent": "ua/1"}


def encrypt(data: bytes, key: bytes, iv: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(data) + padder.finalize()) + encryptor.finalize()


@dataclass
class Origin:
    files: dict[str, bytes]
    limited: set[str] = field(default_factory=set)  # source addresses answered 429
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # (peer, name, Range)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername")[0] if request.transport else "?"
        name = request.match_info["name"]
        self.seen.append((peer, name, request.headers.get("Range")))
        if peer in self.limited:
            return web.Response(status=429)
        body = self.files[name]
        if "Range" in request.headers:
            start, _, end = request.headers["Range"].removeprefix("bytes=").partition("-")
            return web.Response(status=206, body=body[int(start) : int(end) + 1])
        return web.Response(body=body)


@pytest.fixture
async def origin() -> AsyncIterator[Origin]:
    fake = Origin({})
    app = web.Application()
    app.router.add_get("/{name}", fake.handle)
    async with serve(app) as url:
        fake.url = url
        yield fake


@dataclass
class Rotation:
    """A route over a list of addresses: each 429 moves to the next, until they run out."""

    addresses: list[str]
    failed: list[str] = field(default_factory=list)

    @property
    def address(self) -> str | None:
        return self.addresses[0]

    def reroute(self, failed: str | None, retries_done: int) -> str | None:
        assert failed is not None
        self.failed.append(failed)
        self.addresses.pop(0)
        return self.addresses[0] if self.addresses else None


async def test_init_section_byte_ranges_and_aes_128(origin: Origin) -> None:
    key, iv = os.urandom(16), os.urandom(16)
    init, first, second = b"I" * 700, b"first segment " * 50, b"second segment " * 40
    blob = encrypt(first, key, iv)
    origin.files = {
        "master.m3u8": b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nmedia.m3u8\n",
        "media.m3u8": (b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n"
                       b"#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\",IV=0x" + iv.hex().encode() + b"\n"
                       b"#EXT-X-BYTERANGE:" + str(len(blob)).encode() + b"@0\n#EXTINF:2,\nall.bin\n"
                       b"#EXT-X-KEY:METHOD=NONE\n#EXT-X-BYTERANGE:" + str(len(second)).encode() + b"\n#EXTINF:2,\n"
                       b"all.bin\n#EXT-X-ENDLIST\n"),
        "init.mp4": init, "key.bin": key, "all.bin": blob + second,
    }
    origin.limited = {"127.0.10.20"}
    route = Rotation(["127.0.10.20", "127.0.10.21"])
    hls = await asyncio.to_thread(HlsFile, origin.url + "/master.m3u8", route)
    try:
        data = await asyncio.to_thread(_read_all, hls)
    finally:
        hls.close()
    assert data == init + first + second  # the init section once, then each segment, decrypted
    assert route.failed == ["127.0.10.20"]
    assert origin.seen[0] == ("127.0.10.20", "master.m3u8", None)  # refused, then from the next address
    assert {peer for peer, _, _ in origin.seen[1:]} == {"127.0.10.21"}
    assert [r for _, name, r in origin.seen if name == "all.bin"] == [
        f"bytes=0-{len(blob) - 1}", f"bytes={len(blob)}-{len(blob) + len(second) - 1}"]


async def test_when_the_route_runs_out_the_429_fails_the_open(origin: Origin) -> None:
    origin.files = {"media.m3u8": b"#EXTM3U\n#EXTINF:1,\ns.ts\n#EXT-X-ENDLIST\n"}
    origin.limited = {"127.0.10.20"}
    with pytest.raises(OSError, match="429"):
        await asyncio.to_thread(HlsFile, origin.url + "/media.m3u8", Rotation(["127.0.10.20"]))


def _read_all(hls: HlsFile) -> bytes:
    out = bytearray()
    while chunk := hls.read(4096):
        out += chunk
    return bytes(out)
