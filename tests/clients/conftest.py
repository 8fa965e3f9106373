from __future__ import annotations

import pytest

from tests.fakes.discord_voice.server import FakeVoiceServer


@pytest.fixture(autouse=True)
def trust_test_ca(monkeypatch: pytest.MonkeyPatch) -> None:
    """The node trusts the fake voice server's test CA the way production trusts Discord's: through SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(FakeVoiceServer.ca_file()))
