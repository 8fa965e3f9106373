"""The voice gateway's MLS part, hand-built: Discord's gateway is DAVE's single external sender.

davey has no gateway-side API, so this builds what the gateway sends (RFC 9420 framing, ciphersuite 2):
- op 25 body: ExternalSender = signature_key<V> (P-256 uncompressed point) | Credential(basic, identity<V>)
- op 27 bodies: external Add / Remove proposals as PublicMessages signed by the gateway key (no membership tag)
and splits op 28's `commit || welcome`, which carries no length header between the two.
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MLS_VERSION = 1
WIRE_PUBLIC_MESSAGE = 1
SENDER_EXTERNAL = 2
CONTENT_PROPOSAL = 2
PROPOSAL_ADD = 1
PROPOSAL_REMOVE = 3
CIPHERSUITE = 2
CREDENTIAL_BASIC = 1


def vec(data: bytes) -> bytes:
    """MLS variable-length vector (RFC 9420 §2.1.2)."""
    size = len(data)
    if size < 1 << 6:
        return bytes([size]) + data
    if size < 1 << 14:
        return (0x4000 | size).to_bytes(2, "big") + data
    return (0x80000000 | size).to_bytes(4, "big") + data


def read_vec(data: bytes, offset: int) -> tuple[bytes, int]:
    """Returns (body, offset after it); raises ValueError when truncated."""
    if offset >= len(data):
        raise ValueError("vector header past the end")
    prefix = data[offset] >> 6
    if prefix == 0:
        size, offset = data[offset] & 0x3F, offset + 1
    elif prefix == 1:
        size, offset = int.from_bytes(data[offset : offset + 2], "big") & 0x3FFF, offset + 2
    elif prefix == 2:
        size, offset = int.from_bytes(data[offset : offset + 4], "big") & 0x3FFFFFFF, offset + 4
    else:
        raise ValueError("invalid vector length prefix")
    if offset + size > len(data):
        raise ValueError("vector body past the end")
    return data[offset : offset + size], offset + size


class ExternalSender:
    """The gateway's signing identity and proposal factory for one channel (= MLS group id)."""

    def __init__(self, channel_id: int) -> None:
        self.group_id = channel_id.to_bytes(8, "big")
        self._key = ec.generate_private_key(ec.SECP256R1())
        public = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.sender_body = vec(public) + struct.pack(">H", CREDENTIAL_BASIC) + vec(b"gateway")

    def _proposal(self, epoch: int, proposal: bytes) -> bytes:
        content = (
            vec(self.group_id)
            + struct.pack(">QBI", epoch, SENDER_EXTERNAL, 0)
            + vec(b"")
            + bytes([CONTENT_PROPOSAL])
            + proposal
        )
        framing = struct.pack(">HH", MLS_VERSION, WIRE_PUBLIC_MESSAGE)
        to_sign = vec(b"MLS 1.0 FramedContentTBS") + vec(framing + content)
        signature = self._key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
        return framing + content + vec(signature)

    def add(self, epoch: int, key_package: bytes) -> bytes:
        return self._proposal(epoch, struct.pack(">H", PROPOSAL_ADD) + key_package)

    def remove(self, epoch: int, leaf_index: int) -> bytes:
        return self._proposal(epoch, struct.pack(">HI", PROPOSAL_REMOVE, leaf_index))


def proposals_body(messages: list[bytes]) -> bytes:
    """op 27 append payload (after the op byte): u8 operation 0 | MLSMessage proposal_messages<V>."""
    return b"\x00" + vec(b"".join(messages))


def split_commit_welcome(data: bytes) -> tuple[bytes, bytes | None]:
    """Finds where a bare Welcome (u16 suite 2 | secrets<V> | encrypted_group_info<V>) ends the message exactly."""
    marker = struct.pack(">H", CIPHERSUITE)
    start = data.find(marker, 4)
    while start != -1:
        try:
            _, offset = read_vec(data, start + 2)
            _, offset = read_vec(data, offset)
        except ValueError:
            offset = -1
        if offset == len(data):
            return data[:start], data[start:]
        start = data.find(marker, start + 1)
    return data, None
