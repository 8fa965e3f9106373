import pytest

from lavalink_py.voice.endpoint import gateway_url
from lavalink_py.voice.errors import LocalProtocolError


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("c-fra12-1a2b.discord.media", "wss://c-fra12-1a2b.discord.media/?v=8"),
        ("c-fra12-1a2b.discord.media:443", "wss://c-fra12-1a2b.discord.media:443/?v=8"),
        ("c-fra12-1a2b.discord.media:80", "wss://c-fra12-1a2b.discord.media/?v=8"),
        ("wss://127.0.0.1:50123/", "wss://127.0.0.1:50123/?v=8"),
    ],
)
def test_gateway_url(endpoint: str, url: str) -> None:
    assert gateway_url(endpoint) == url


@pytest.mark.parametrize("endpoint", ["", "wss://", "host/path", "host?x=1"])
def test_bad_endpoint(endpoint: str) -> None:
    with pytest.raises(LocalProtocolError):
        gateway_url(endpoint)
