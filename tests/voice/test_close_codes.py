import pytest

from lavalink_py.voice.close_codes import CloseAction, policy_for


@pytest.mark.parametrize("code", [None, 1000, 1001, 1006, 4015])
def test_resumable(code: int | None) -> None:
    policy = policy_for(code)
    assert policy.action is CloseAction.RESUME
    assert not policy.reported


@pytest.mark.parametrize("code", [4006, 4009])
def test_reidentify(code: int) -> None:
    assert policy_for(code).action is CloseAction.RECONNECT


@pytest.mark.parametrize("code", [4004, 4014, 4017, 4021, 4022, 4999])
def test_final_and_reported(code: int) -> None:
    policy = policy_for(code)
    assert policy.action is CloseAction.GIVE_UP
    assert policy.reported
