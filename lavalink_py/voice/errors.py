"""Errors raised by the voice layer.

VoiceError
├── LocalProtocolError     we were asked to do something the protocol forbids (our bug)
└── RemoteProtocolError    the voice server sent something malformed or hostile
    ├── RtpError           an RTP packet cannot be parsed
    ├── CipherError        a transport key or packet is unusable (bad size, failed authentication)
    ├── IpDiscoveryError   the IP discovery reply is malformed
    └── DaveError          a DAVE message is truncated or rejected beyond recovery

All of them are ValueErrors so the sans-I/O cores have exactly one documented failure type.
"""

from __future__ import annotations


class VoiceError(ValueError):
    pass


class LocalProtocolError(VoiceError):
    pass


class RemoteProtocolError(VoiceError):
    pass


class RtpError(RemoteProtocolError):
    pass


class CipherError(RemoteProtocolError):
    pass


class IpDiscoveryError(RemoteProtocolError):
    pass


class DaveError(RemoteProtocolError):
    pass
