import pytest

from lavalink_py.voice.close_codes import MAX_FAILED_ATTEMPTS, CloseAction, CloseDecision, decide, policy_for


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


@pytest.mark.parametrize(
    ("close", "expected"),
    [
        ((1006, True, True, 0), (CloseAction.RESUME, False)),
        ((1006, True, False, 0), (CloseAction.RECONNECT, False)),  # nothing to resume yet
        ((4015, True, True, 1), (CloseAction.RESUME, False)),
        ((4006, True, True, 0), (CloseAction.RECONNECT, True)),
        ((4014, True, True, 0), (CloseAction.GIVE_UP, True)),
        ((1002, False, True, 0), (CloseAction.GIVE_UP, True)),  # the server's input broke the protocol
        ((1002, True, True, 0), (CloseAction.RESUME, False)),  # the server said 1002 itself
        ((1006, True, True, MAX_FAILED_ATTEMPTS), (CloseAction.GIVE_UP, True)),
    ],
)
def test_decide(close: tuple[int, bool, bool, int], expected: tuple[CloseAction, bool]) -> None:
    assert decide(*close) == CloseDecision(*expected)
