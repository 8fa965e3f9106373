"""The pieces a live stream's in-place change is made of (audio/restyle.py), on generated audio."""

from __future__ import annotations

from typing import Any

import numpy as np

from lavalink_py.audio.pcm import OpusEncoder
from lavalink_py.audio.restyle import LeadingEncoder, SourceHistory, crossfade, decode_frames
from tests.audio.media import best_lag, decode_opus, rms, sweep

FRAME = 960


def stereo(mono: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    pcm = (mono * 32767).astype(np.int16)
    return np.ascontiguousarray(np.stack([pcm, pcm], axis=1))


def test_a_leading_encoder_goes_on_from_the_frames_heard_without_a_gap_or_a_repeat() -> None:
    source = stereo(sweep(1.0, 48_000))
    frames = OpusEncoder(10, 128_000).encode(source)
    kept = frames[:10]
    heard = decode_frames(kept[-3:])
    # libopus delays by 312 samples: frame 9 of the original ends at source sample 10 * 960 - 312.
    encoder = LeadingEncoder(10, 128_000, heard)
    made = [out for start in range(10 * FRAME - 312, len(source) - FRAME, 5 * FRAME)
            for out in encoder.encode(source[start : start + 5 * FRAME])]
    original = decode_opus(frames)[:, 0]
    joined = decode_opus([*kept, *made])[:, 0]
    span = slice(11 * FRAME, len(joined) - FRAME)
    assert best_lag(joined[span], original[span]) == 0  # not one sample earlier or later
    noise = joined[span] - original[span]
    assert 20 * np.log10(rms(original[span]) / rms(noise)) >= 20
    seam = joined[10 * FRAME - 48 : 10 * FRAME + 48]
    assert np.max(np.abs(np.diff(seam))) < 2 * np.max(np.abs(np.diff(original[9 * FRAME : 12 * FRAME])))


def test_history_gives_back_pcm_and_packets_by_source_index() -> None:
    source = stereo(sweep(0.5, 48_000))
    history = SourceHistory()
    for start in range(0, 12_000, 1000):
        history.add_pcm(start, source[start : start + 1000])
    pcm = history.pcm(2500, 7300)
    assert pcm is not None
    assert np.array_equal(pcm, source[2500:7300])
    assert history.pcm(11_500, 12_500) is None  # past what is held
    assert history.nbytes == 12_000 * 4
    history.add_pcm(6500, source[6500:8000])  # a rewind made the source from 6500 again: it replaces what was there
    assert history.end == 8000
    assert history.nbytes == 8000 * 4
    again = history.pcm(6000, 8000)
    assert again is not None and np.array_equal(again, source[6000:8000])
    for start in range(8000, 20_000, 1000):
        history.add_pcm(start, np.zeros((1000, 2), np.int16))
    history.prune(15_500)  # what ends before it goes, less the 8 entries a packet run primes on
    assert 0 < history.start <= 15_500 - 8 * 1000
    assert history.pcm(history.start, 20_000) is not None


def test_history_decodes_opus_packets_warm_and_returns_them_for_passthrough() -> None:
    source = stereo(sweep(1.0, 48_000))
    packets = OpusEncoder(10, 128_000).encode(source)
    history = SourceHistory()
    for index, packet in enumerate(packets):
        history.add_packet(index * FRAME, packet)
    assert history.nbytes == sum(map(len, packets))
    whole = decode_frames(packets)
    pcm = history.pcm(20 * FRAME + 100, 30 * FRAME)
    assert pcm is not None
    expected = np.concatenate(whole)[20 * FRAME + 100 : 30 * FRAME, 0].astype(np.float64)
    error = pcm[:, 0].astype(np.float64) - expected
    assert 20 * np.log10(rms(expected) / rms(error)) >= 30  # decoded warm: the same as decoding all along
    found = history.packets_from(20 * FRAME + 300)
    assert found is not None
    first, run = found
    assert first == 20 * FRAME and run == packets[20:]  # the packet nearest the junction, then the rest
    history.add_pcm(40 * FRAME, np.zeros((FRAME, 2), np.int16))
    assert history.packets_from(20 * FRAME) is None  # not all of it is the source's own packets


def test_crossfade_steps_no_further_than_its_inputs() -> None:
    t = np.arange(FRAME) / 48_000
    old = stereo(0.5 * np.sin(2 * np.pi * 1000 * t))
    new = np.zeros((2 * FRAME, 2), np.int16)
    faded = crossfade(old, new)
    assert np.max(np.abs(np.diff(faded[:, 0].astype(np.int32)))) <= np.max(np.abs(np.diff(old[:, 0].astype(np.int32))))
    assert np.array_equal(faded[FRAME:], new[FRAME:])
    assert abs(int(faded[0, 0]) - int(old[0, 0])) <= 1
