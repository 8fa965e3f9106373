import pytest
from hypothesis import given
from hypothesis import strategies as st

from lavalink_py.voice.errors import IpDiscoveryError
from lavalink_py.voice.ip_discovery import build_request, build_response, parse_request, parse_response


def test_request_golden() -> None:
    assert build_request(0x11223344) == bytes.fromhex("0001004611223344") + bytes(66)


def test_response_round_trip() -> None:
    data = build_response(0x11223344, "203.0.113.7", 50000)
    assert len(data) == 74
    assert data[:2] == b"\x00\x02"
    assert parse_response(data) == ("203.0.113.7", 50000)
    assert parse_request(build_request(99)) == 99


@pytest.mark.parametrize(
    "data",
    [
        bytes(73),
        build_request(1),  # a request is not a response
        b"\x00\x02\x00\x46" + bytes(70),  # empty address
        b"\x00\x02\x00\x46" + bytes(4) + b"not-an-ip".ljust(64, b"\0") + b"\x00\x01",
    ],
)
def test_bad_responses(data: bytes) -> None:
    with pytest.raises(IpDiscoveryError):
        parse_response(data)


@given(st.binary(min_size=70, max_size=78))
def test_any_response_accepted_or_ip_discovery_error(data: bytes) -> None:
    try:
        address, port = parse_response(data)
    except IpDiscoveryError:
        return
    assert address and 0 <= port < 65536
