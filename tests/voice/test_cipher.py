import struct

import nacl.bindings
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.voice.cipher import AES_GCM, CIPHERS, XCHACHA, choose_mode, make_cipher
from lavalink_py.voice.errors import CipherError
from lavalink_py.voice.rtp import build_header

KEY = bytes(range(32))
HEADER = build_header(5, 960, 0xCAFE)


def test_aes_gcm_layout_matches_spec() -> None:
    packet = make_cipher(AES_GCM, KEY).encrypt(HEADER, b"opus", 0x01020304)
    assert packet[:12] == HEADER
    assert packet[-4:] == b"\x01\x02\x03\x04"
    assert len(packet) == 12 + 4 + 16 + 4
    nonce = b"\x01\x02\x03\x04" + bytes(8)
    assert AESGCM(KEY).decrypt(nonce, packet[12:-4], HEADER) == b"opus"


def test_xchacha_layout_matches_spec() -> None:
    packet = make_cipher(XCHACHA, KEY).encrypt(HEADER, b"opus", 7)
    nonce = (7).to_bytes(4, "big") + bytes(20)
    assert packet[-4:] == nonce[:4]
    opened = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(packet[12:-4], HEADER, nonce, KEY)
    assert opened == b"opus"


@pytest.mark.parametrize("mode", sorted(CIPHERS))
def test_round_trip_and_nonce_wrap(mode: str) -> None:
    cipher = make_cipher(mode, KEY)
    result = cipher.decrypt(cipher.encrypt(HEADER, b"frame", 1 << 32))
    assert result.payload == b"frame"
    assert result.nonce == 0
    assert result.header.sequence == 5


@pytest.mark.parametrize("mode", sorted(CIPHERS))
def test_decrypt_strips_extension_body_and_padding(mode: str) -> None:
    # As Discord's SFU sends it: X bit set, preamble in the clear (and in the AAD), body encrypted.
    header = bytes([0x80 | 0x10 | 0x20, 0x78]) + struct.pack(">HII", 9, 960, 1) + b"\xbe\xde\x00\x02"
    plaintext = b"EXTBODY!" + b"opus" + b"\x00\x00\x03"
    cipher = make_cipher(mode, KEY)
    packet = cipher.encrypt(header, plaintext, 3)
    result = cipher.decrypt(packet)
    assert result.payload == b"opus"
    assert result.header.extension_words == 2


@pytest.mark.parametrize("mode", sorted(CIPHERS))
def test_tampered_packet_rejected(mode: str) -> None:
    cipher = make_cipher(mode, KEY)
    packet = bytearray(cipher.encrypt(HEADER, b"frame", 1))
    packet[2] ^= 1  # the header is authenticated
    with pytest.raises(CipherError):
        cipher.decrypt(bytes(packet))


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_wrong_key_size(size: int) -> None:
    with pytest.raises(CipherError):
        make_cipher(AES_GCM, bytes(size))


def test_mode_choice() -> None:
    assert choose_mode(["xsalsa20_poly1305", XCHACHA, AES_GCM]) == AES_GCM
    assert choose_mode([XCHACHA]) == XCHACHA
    with pytest.raises(CipherError):
        choose_mode(["xsalsa20_poly1305_lite"])
    with pytest.raises(CipherError):
        make_cipher("xsalsa20_poly1305", KEY)


@given(st.binary(max_size=80), st.sampled_from(sorted(CIPHERS)))
def test_decrypt_any_input_raises_only_cipher_error(data: bytes, mode: str) -> None:
    with pytest.raises(CipherError):
        make_cipher(mode, KEY).decrypt(data)
