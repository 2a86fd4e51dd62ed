"""The station's state machine allows exactly the transitions of its table."""

from __future__ import annotations

import pytest

from firmware_py.state import TRANSITIONS, InvalidTransition, StateMachine, StationState

S = StationState


def test_happy_path_and_listeners() -> None:
    seen: list[tuple[str, str, str]] = []
    m = StateMachine()
    m.add_listener(lambda old, new, why: seen.append((old.value, new.value, why)))
    m.to(S.READY)
    m.to(S.RUNNING, "run 1")
    m.to(S.DONE, "pass")
    m.to(S.RUNNING, "run 2")
    m.to(S.FAULT, "INA226 at 0x40: no ACK")
    m.to(S.RUNNING, "retry")
    assert seen == [
        ("idle", "ready", ""),
        ("ready", "running", "run 1"),
        ("running", "done", "pass"),
        ("done", "running", "run 2"),
        ("running", "fault", "INA226 at 0x40: no ACK"),
        ("fault", "running", "retry"),
    ]
    assert m.state is S.RUNNING
    assert m.reason == "retry"


@pytest.mark.parametrize(
    "source,target",
    [(a, b) for a in S for b in S if b not in TRANSITIONS[a]],
)
def test_forbidden_transitions_raise_and_keep_state(source: S, target: S) -> None:
    m = StateMachine(initial=source)
    calls: list[object] = []
    m.add_listener(lambda *a: calls.append(a))
    with pytest.raises(InvalidTransition, match=f"{source.value} -> {target.value}"):
        m.to(target)
    assert m.state is source
    assert calls == []


def test_running_cannot_start_again_and_idle_cannot_run() -> None:
    assert not StateMachine(S.RUNNING).can(S.RUNNING)
    assert not StateMachine(S.IDLE).can(S.RUNNING)
    assert StateMachine(S.FAULT).can(S.READY)
