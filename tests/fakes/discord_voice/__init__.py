"""A fake Discord voice server (gateway v8, UDP, AEAD, DAVE external sender) with simulated listening members."""

from tests.fakes.discord_voice.listener import SimulatedListener
from tests.fakes.discord_voice.server import FakeVoiceServer, ReceivedPacket

__all__ = ["FakeVoiceServer", "ReceivedPacket", "SimulatedListener"]
