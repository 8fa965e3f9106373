"""MediaProbe on its own: what it reads from media, and how it fails."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import pytest

from lavalink_py.sources.local import ffmpeg_url
from lavalink_py.sources.probe import MediaProbe, ProbeError
from tests.sources.conftest import MediaServer


async def test_reads_stream_tags_of_ogg(probe: MediaProbe, media_dir: Path) -> None:
    info = await probe.probe(ffmpeg_url(str(media_dir / "tone.ogg")))
    # Vorbis comments live on the Ogg stream, not the container.
    assert (info.title, info.author, info.codec, info.sample_rate, info.channels) == (
        "Tone Title",
        "Tone Artist",
        "opus",
        48000,
        2,
    )
    assert (info.format_name, info.container, info.is_live) == ("ogg", "ogg", False)


async def test_reads_icy_headers_of_a_stream(probe: MediaProbe, media_server: MediaServer) -> None:
    info = await probe.probe(media_server.url("/live"))
    assert (info.title, info.author, info.length_ms, info.is_live) == ("Best hits", "Radio X", None, True)


async def test_runs_in_the_given_executor(media_dir: Path) -> None:
    names: list[str] = []
    with ThreadPoolExecutor(1, thread_name_prefix="probe-pool", initializer=lambda: names.append("started")) as pool:
        probe = MediaProbe(executor=pool)
        info = await probe.probe(ffmpeg_url(str(media_dir / "tone.flac")))
    assert info.container == "flac" and names == ["started"]


def test_ffmpeg_options_only_for_http() -> None:
    probe = MediaProbe(connect_timeout_s=2.0, read_timeout_s=4.5, user_agent="ua/1")
    assert probe.ffmpeg_options("https://a/b") == {"user_agent": "ua/1", "timeout": "4500000"}
    assert probe.ffmpeg_options("file:/a/b") == {}


async def test_silent_server_times_out(silent_url: str) -> None:
    probe = MediaProbe(connect_timeout_s=0.3, read_timeout_s=0.3)
    with pytest.raises(ProbeError, match=r"No answer within 0.3 s") as caught:
        await probe.probe(silent_url)
    assert not caught.value.unknown_format


async def test_refused_connection(probe: MediaProbe, refused_url: str) -> None:
    with pytest.raises(ProbeError, match="Connection refused") as caught:
        await probe.probe(refused_url)
    assert not caught.value.unknown_format


async def test_video_without_audio_is_an_unknown_format(probe: MediaProbe, tmp_path: Path) -> None:
    path = tmp_path / "picture.png"
    frame = av.VideoFrame(8, 8, "rgb24")
    with av.open(str(path), "w", format="image2") as out:
        stream = out.add_stream("png")
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height, stream.pix_fmt = 8, 8, "rgb24"
        for packet in stream.encode(frame):
            out.mux(packet)
    with pytest.raises(ProbeError, match="Unknown file format") as caught:
        await probe.probe(ffmpeg_url(str(path)))
    assert caught.value.unknown_format and "no audio stream" in caught.value.cause
