"""Transport encryption of RTP payloads in Discord's AEAD "rtpsize" modes.

Send: nonce = u32 BE counter then zeros (12 bytes for AES-256-GCM, 24 for XChaCha20-Poly1305); AAD = the clear
RTP header; packet = header | ciphertext | 16-byte tag | 4 counter bytes.
Receive: the clear part is 12 + 4*CC (+4 extension preamble when X is set); the extension body is the first
4*length bytes of the plaintext and RTP padding (P bit) its tail; both are stripped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lavalink_py.voice.errors import CipherError, RtpError
from lavalink_py.voice.rtp import RtpHeader, parse_header

KEY_SIZE = 32
TAG_SIZE = 16
NONCE_TAIL_SIZE = 4

Mode = Literal["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"]
AES_GCM: Final[Mode] = "aead_aes256_gcm_rtpsize"
XCHACHA: Final[Mode] = "aead_xchacha20_poly1305_rtpsize"
# Our preference order when the server offers several.
PREFERRED_MODES: Final[tuple[Mode, ...]] = (AES_GCM, XCHACHA)


@dataclass(frozen=True, slots=True)
class DecryptedPacket:
    header: RtpHeader
    payload: bytes
    nonce: int


class TransportCipher:
    """One object per session key. Subclasses supply the AEAD primitive and the nonce size."""

    mode: Mode
    nonce_size: int
    # (full nonce, plaintext, aad) -> ciphertext | tag. An attribute, not a method: AES-GCM binds the primitive
    # itself, so the sender's hot path makes one C call per packet (voice/sender.py).
    seal: Callable[[bytes, bytes, bytes], bytes]

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise CipherError(f"{self.mode} needs a {KEY_SIZE}-byte key, got {len(key)} bytes")
        self._key = bytes(key)

    def _open(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        raise NotImplementedError

    def encrypt(self, header: bytes, payload: bytes, nonce: int) -> bytes:
        tail = (nonce % (1 << 32)).to_bytes(NONCE_TAIL_SIZE, "big")
        full_nonce = tail + bytes(self.nonce_size - NONCE_TAIL_SIZE)
        return header + self.seal(full_nonce, payload, header) + tail

    def decrypt(self, packet: bytes) -> DecryptedPacket:
        try:
            header = parse_header(packet)
        except RtpError as exc:
            raise CipherError(str(exc)) from exc
        if len(packet) < header.clear_size + TAG_SIZE + NONCE_TAIL_SIZE:
            raise CipherError(f"packet of {len(packet)} bytes is too short for {self.mode}")
        tail = packet[-NONCE_TAIL_SIZE:]
        full_nonce = tail + bytes(self.nonce_size - NONCE_TAIL_SIZE)
        aad = packet[: header.clear_size]
        plaintext = self._open(full_nonce, packet[header.clear_size : -NONCE_TAIL_SIZE], aad)
        if header.extension_words is not None:
            body = 4 * header.extension_words
            if body > len(plaintext):
                raise CipherError("RTP extension body is longer than the decrypted payload")
            plaintext = plaintext[body:]
        if header.padding:
            if not plaintext or plaintext[-1] == 0 or plaintext[-1] > len(plaintext):
                raise CipherError("RTP padding count is invalid")
            plaintext = plaintext[: -plaintext[-1]]
        return DecryptedPacket(header, plaintext, int.from_bytes(tail, "big"))


class AesGcmRtpsize(TransportCipher):
    mode = AES_GCM
    nonce_size = 12

    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self._aead = AESGCM(self._key)
        self.seal = self._aead.encrypt

    def _open(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag as exc:
            raise CipherError("AES-GCM authentication failed") from exc


class XChaChaRtpsize(TransportCipher):
    mode = XCHACHA
    nonce_size = 24

    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        self.seal = self._seal

    def _seal(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        sealed: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, aad, nonce, self._key)
        return sealed

    def _open(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        try:
            opened: bytes = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, self._key)
        except nacl.exceptions.CryptoError as exc:
            raise CipherError("XChaCha20-Poly1305 authentication failed") from exc
        return opened


CIPHERS: Final[dict[str, Callable[[bytes], TransportCipher]]] = {
    AES_GCM: AesGcmRtpsize,
    XCHACHA: XChaChaRtpsize,
}


def make_cipher(mode: str, key: bytes) -> TransportCipher:
    try:
        factory = CIPHERS[mode]
    except KeyError:
        raise CipherError(f"unsupported transport mode {mode!r}") from None
    return factory(key)


def choose_mode(offered: list[str]) -> Mode:
    for mode in PREFERRED_MODES:
        if mode in offered:
            return mode
    raise CipherError(f"server offers no supported transport mode: {offered!r}")
