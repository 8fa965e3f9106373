"""Bring Opus frames already in a live stream's buffer to a new volume (lavaplayer's `AudioFrameVolumeChanger`
does the same to its frame buffer).

A live stream cannot be reopened at a position, so a volume change would otherwise be heard only once the buffer
(`frame_buffer_ms`, 5 s by default) has drained. The buffered frames are decoded (by a decoder primed with the
frames just before them, so the first is not soft), their old volume divided out and the new one applied
(`volume.change_volume`), and re-encoded by the stream's own encoder, whose state then runs on into the frames
made afterwards. One junction remains: the last frame not re-encoded was made with other encoder state than the
first re-encoded one (at most a faint click, as at a passthrough/encoding switch). Filters are not undone or
redone here: a filter change on a live stream applies to the frames made after it.
"""

from __future__ import annotations

import av
import numpy as np

from lavalink_py.audio.frames import CHANNELS, FRAME_SAMPLES, SAMPLE_RATE
from lavalink_py.audio.pcm import ENCODER_LOOKAHEAD, Int16Pcm, OpusEncoder
from lavalink_py.audio.volume import change_volume


def _decoder() -> av.AudioCodecContext:
    ctx = av.CodecContext.create("opus", "r")
    assert isinstance(ctx, av.AudioCodecContext)
    ctx.sample_rate = SAMPLE_RATE
    ctx.layout = "stereo"
    return ctx


def _decode(ctx: av.AudioCodecContext, frame: bytes) -> Int16Pcm:
    chunks: list[Int16Pcm] = []
    for decoded in ctx.decode(av.Packet(frame)):
        samples = decoded.to_ndarray()
        interleaved = (samples.T if decoded.format.is_planar else samples).reshape(-1, CHANNELS)
        if interleaved.dtype == np.int16:
            chunks.append(interleaved.astype(np.int16))
        else:  # FFmpeg's Opus decoder gives float
            chunks.append(np.clip(interleaved * 32768.0, -32768, 32767).astype(np.int16))
    return np.concatenate(chunks) if chunks else np.zeros((0, CHANNELS), np.int16)


class FrameRestyler:
    """Re-volumes a run of consecutive frames, a chunk at a time (the caller hands each chunk on at once).

    Its own encoder hands out its input ENCODER_LOOKAHEAD samples late, so it is fed that far ahead: the decoded
    primer from that offset first (the output frames standing for it, a warm-up, are dropped). So each
    re-encoded frame decodes to the same stretch of time as the frame it replaces, and the last frame of a run
    cannot be made (its end lies in a frame not produced yet): the caller keeps that one as it was, so the
    stream's own encoder, which made it, runs on into the next frames without a seam.
    """

    def __init__(self, primer: list[bytes], old_volume: int, new_volume: int, quality: int, bitrate: int) -> None:
        self._ctx = _decoder()
        self._old, self._new = old_volume, new_volume
        self._encoder = OpusEncoder(quality, bitrate)
        # The primer goes in at its own (old) level: the encoder's state at the seam then matches what the listener's
        # decoder has from the frames before it, so the level steps at once instead of converging over ~100 ms.
        heard = [pcm for pcm in (_decode(self._ctx, frame) for frame in primer) if len(pcm) == FRAME_SAMPLES]
        if heard:
            self._input = np.concatenate(heard)[ENCODER_LOOKAHEAD:]
        else:
            self._input = np.zeros((FRAME_SAMPLES - ENCODER_LOOKAHEAD, CHANNELS), np.int16)
        self._warm_up = max(1, len(heard))  # output frames that stand for the primer (the first also the priming)

    def restyle(self, frames: list[bytes]) -> list[bytes]:
        decoded = [self._input]
        for frame in frames:
            pcm = _decode(self._ctx, frame)
            if len(pcm) != FRAME_SAMPLES:
                # Undecodable (or not 20 ms): silence of the same length, so every later frame keeps its time.
                pcm = np.zeros((FRAME_SAMPLES, CHANNELS), np.int16)
            decoded.append(change_volume(pcm, self._old, self._new))
        pcm = np.concatenate(decoded)
        whole = len(pcm) // FRAME_SAMPLES * FRAME_SAMPLES
        self._input = pcm[whole:]
        out = self._encoder.encode(pcm[:whole]) if whole else []
        if self._warm_up:
            dropped = min(self._warm_up, len(out))
            out, self._warm_up = out[dropped:], self._warm_up - dropped
        return out
