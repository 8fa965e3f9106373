"""What Lavalink's routePlanner bean refuses at start-up is refused by the config loader (exit 2, key named)."""

from __future__ import annotations

import pytest

from lavalink_py.config import ConfigError, settings_from_dict


def ratelimit(**values: object) -> dict[str, object]:
    return {"lavalink": {"server": {"ratelimit": values}}}


@pytest.mark.parametrize(("values", "message"), [
    ({"ipBlocks": ["127.0.0.0/8"], "strategy": "NanoSwitch"},
     r"^lavalink\.server\.ratelimit\.strategy: NanoSwitch needs IPv6 ipBlocks of a /64 or larger"),
    ({"ipBlocks": ["2001:db8::/80"], "strategy": "RotatingNanoSwitch"},
     r"^lavalink\.server\.ratelimit\.strategy: RotatingNanoSwitch needs IPv6 ipBlocks"),
    ({"ipBlocks": ["127.0.0.0/8", "2001:db8::/64"]},
     r"^lavalink\.server\.ratelimit\.ipBlocks: expected blocks of one family"),
])
def test_refused(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        settings_from_dict(ratelimit(**values))


def test_accepted() -> None:
    for values in ({"ipBlocks": ["2001:db8::/64"], "strategy": "NanoSwitch"},
                   {"ipBlocks": ["2001:db8::/65", "2001:db8:0:0:8000::/65"], "strategy": "RotatingNanoSwitch"},
                   {"strategy": "NanoSwitch"}, {"ipBlocks": ["127.0.0.0/8"], "strategy": "LoadBalance"}):
        assert settings_from_dict(ratelimit(**values)).settings.lavalink.server.ratelimit is not None
