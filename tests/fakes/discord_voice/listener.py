"""A simulated Discord client in the call: an MLS member that decrypts the node's frames and decodes the Opus."""

from __future__ import annotations

from dataclasses import dataclass, field

import av
import davey
import numpy as np
import numpy.typing as npt

SILENCE_FRAME = b"\xf8\xff\xfe"
DAVE_MARKER = b"\xfa\xfa"


@dataclass
class ListenerFrame:
    sequence: int
    opus: bytes


@dataclass
class SimulatedListener:
    user_id: int
    channel_id: int
    decode: bool = True
    session: davey.DaveSession = field(init=False)
    key_package: bytes = field(init=False, default=b"")
    joined: bool = False
    frames: list[ListenerFrame] = field(default_factory=list)
    missed_before_join: int = 0
    dave_failures: int = 0
    plain_frames: int = 0
    silence_frames: int = 0
    _pcm: list[npt.NDArray[np.float32]] = field(default_factory=list)
    _decoder: av.AudioCodecContext | None = None

    def __post_init__(self) -> None:
        self.session = davey.DaveSession(1, self.user_id, self.channel_id)

    def start(self, external_sender: bytes) -> None:
        """(Re)joins from scratch: a fresh pending group and a fresh key package."""
        self.session.reinit(1, self.user_id, self.channel_id)
        self.session.set_external_sender(external_sender)
        self.key_package = self.session.get_serialized_key_package()
        self.joined = False

    def receive(self, sequence: int, payload: bytes, sender_id: int, dave: bool) -> None:
        if payload == SILENCE_FRAME:
            self.silence_frames += 1
            return
        if not dave:
            self.plain_frames += 1
            self._accept(sequence, payload)
            return
        if not self.joined:
            self.missed_before_join += 1
            return
        try:
            opus = self.session.decrypt(sender_id, davey.MediaType.audio, payload)
        except ValueError:
            self.dave_failures += 1
            return
        if payload[-2:] != DAVE_MARKER:
            self.plain_frames += 1  # let through by passthrough mode (a downgrade), as a Discord client would
        self._accept(sequence, opus)

    def _accept(self, sequence: int, opus: bytes) -> None:
        self.frames.append(ListenerFrame(sequence, opus))
        if not self.decode:
            return
        if self._decoder is None:
            decoder = av.CodecContext.create("opus", "r")
            assert isinstance(decoder, av.AudioCodecContext)
            decoder.sample_rate = 48000
            decoder.layout = "stereo"
            self._decoder = decoder
        for frame in self._decoder.decode(av.Packet(opus)):
            samples = frame.to_ndarray().astype(np.float32)
            # Planar float arrives as (channels, n); keep the first channel.
            self._pcm.append(samples[0] if samples.ndim == 2 and samples.shape[0] <= 2 else samples.reshape(-1))

    def pcm(self) -> npt.NDArray[np.float32]:
        """Decoded audio (first channel, 48 kHz, float) of every accepted frame in arrival order."""
        return np.concatenate(self._pcm) if self._pcm else np.zeros(0, dtype=np.float32)
