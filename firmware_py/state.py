"""The station's explicit state machine.

::

    IDLE --hardware ok--> READY --START--> RUNNING --result--> DONE --START--> RUNNING
      |                                      |                                  ^
      +--hardware fault--> FAULT <--fault----+              FAULT --START-------+
                             |--recheck ok--> READY, recheck failed --> FAULT (new reason)

A transition not in :data:`TRANSITIONS` raises :class:`InvalidTransition`; listeners are told
of every change (status lights, the status message).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Final


class StationState(StrEnum):
    IDLE = "idle"
    """Started; hardware not checked yet."""
    READY = "ready"
    """Hardware checked; waiting for START."""
    RUNNING = "running"
    """A procedure is running; the assembly may be powered."""
    DONE = "done"
    """A run finished with a verdict (pass or fail); waiting for the next START."""
    FAULT = "fault"
    """The bench could not measure (sensor missing, bus error); START retries."""


TRANSITIONS: Final[dict[StationState, frozenset[StationState]]] = {
    StationState.IDLE: frozenset({StationState.READY, StationState.FAULT}),
    StationState.READY: frozenset({StationState.RUNNING, StationState.FAULT}),
    StationState.RUNNING: frozenset({StationState.DONE, StationState.FAULT}),
    StationState.DONE: frozenset({StationState.RUNNING, StationState.READY, StationState.FAULT}),
    # FAULT -> FAULT: a re-check failed again; the reason is updated and re-published.
    StationState.FAULT: frozenset({StationState.RUNNING, StationState.READY, StationState.FAULT}),
}

Listener = Callable[[StationState, StationState, str], None]


class InvalidTransition(RuntimeError):
    """A state change the machine does not allow."""


class StateMachine:
    """Holds the current state; thread-safe; notifies listeners after each change."""

    def __init__(self, initial: StationState = StationState.IDLE) -> None:
        self._state = initial
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self.reason = ""
        """Why the station is in this state, in English (kept in status and records)."""
        self.code = ""
        """The reason as a message code a reader's screen renders in its language ('' none)."""
        self.params: dict[str, Any] = {}
        """The code's parameters."""

    @property
    def state(self) -> StationState:
        return self._state

    def can(self, target: StationState) -> bool:
        """True if moving to ``target`` is allowed from the current state."""
        return target in TRANSITIONS[self._state]

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(old, new, reason)`` after every transition."""
        self._listeners.append(listener)

    def to(
        self,
        target: StationState,
        reason: str = "",
        code: str = "",
        params: dict[str, Any] | None = None,
    ) -> None:
        """Move to ``target`` (``reason`` in English, ``code`` and ``params`` for other
        languages); raise InvalidTransition if the table forbids it."""
        with self._lock:
            old = self._state
            if target not in TRANSITIONS[old]:
                raise InvalidTransition(f"{old.value} -> {target.value} is not allowed")
            self._state = target
            self.set_reason(reason, code, params)
        for listener in list(self._listeners):
            listener(old, target, reason)

    def set_reason(self, reason: str, code: str = "", params: dict[str, Any] | None = None) -> None:
        """Replace the reason without a transition (a refused START)."""
        self.reason, self.code, self.params = reason, code, dict(params or {})
