"""What the contestant sees and hears at the station: tower light, buzzer, a small display.

Patterns (after the usual test-station conventions):

============================  =========================  ======================
state                         tower light                buzzer
============================  =========================  ======================
ready, jig closed             green steady               -
ready, jig open               green slow blink (1 s)     -
running                       amber blink (0.25 s)       -
running, a question waits     amber blink (0.25 s)       two short beeps
done, pass                    green steady               one short beep
done, fail                    red steady                 three short beeps
fault                         red fast blink (0.5 s)     one long tone (1 s)
============================  =========================  ======================

Operator prompts (:class:`PromptDesk`): a procedure asks a question and waits; START answers
yes (or done), ABORT no; the contestant's screen and a judge's command answer too.

The display is a hook: :class:`FileDisplay` writes the two-line message atomically to a file
that a small OLED/e-ink driver (or a terminal ``watch cat``) shows; :class:`NullDisplay` shows
nothing.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from firmware_py.state import StationState

log = logging.getLogger(__name__)


class StatusLights:
    """The tower light's three lamps (gpiozero LEDs)."""

    def __init__(self, green: Any, amber: Any, red: Any) -> None:
        self.green, self.amber, self.red = green, amber, red

    def show(
        self,
        state: StationState,
        passed: bool | None = None,
        jig_closed: bool = True,
        alarm: bool = False,
    ) -> None:
        """The lamps for ``state``; ``alarm`` (a technician is needed, the station still works)
        adds a slow amber blink while the station waits."""
        for lamp in (self.green, self.amber, self.red):
            lamp.off()
        if alarm and state in (StationState.READY, StationState.DONE, StationState.IDLE):
            self.amber.blink(on_time=1.0, off_time=1.0)
        if state is StationState.RUNNING:
            self.amber.blink(on_time=0.25, off_time=0.25)
        elif state is StationState.FAULT:
            self.red.blink(on_time=0.5, off_time=0.5)
        elif state is StationState.DONE:
            (self.green if passed else self.red).on()
        elif state is StationState.READY:
            if jig_closed:
                self.green.on()
            else:
                self.green.blink(on_time=1.0, off_time=1.0)

    def close(self) -> None:
        for lamp in (self.green, self.amber, self.red):
            lamp.close()


class Sounder:
    """The buzzer's verdict patterns (a gpiozero Buzzer, or None for a silent station)."""

    def __init__(self, buzzer: Any | None) -> None:
        self.buzzer = buzzer

    def verdict(self, outcome: str) -> None:
        """Sound the pattern of a run outcome (``pass``, ``fail``, ``fault``)."""
        if self.buzzer is None:
            return
        if outcome == "pass":
            self.buzzer.beep(on_time=0.1, off_time=0.1, n=1)
        elif outcome == "fail":
            self.buzzer.beep(on_time=0.1, off_time=0.1, n=3)
        else:
            self.buzzer.beep(on_time=1.0, off_time=0.1, n=1)

    def attention(self) -> None:
        """Two short beeps: a question waits for an answer."""
        if self.buzzer is not None:
            self.buzzer.beep(on_time=0.08, off_time=0.08, n=2)

    def close(self) -> None:
        if self.buzzer is not None:
            self.buzzer.close()


class Display(Protocol):
    def show(self, line1: str, line2: str) -> None: ...


class NullDisplay:
    """No display fitted (what it would show is kept in ``last``)."""

    def __init__(self) -> None:
        self.last = ("", "")

    def show(self, line1: str, line2: str) -> None:
        self.last = (line1, line2)


class FileDisplay:
    """Writes the message to ``path`` (two lines, replaced atomically) for a display driver."""

    def __init__(self, path: Path, width: int = 40) -> None:
        self.path = path
        self.width = width
        self.last = ("", "")
        path.parent.mkdir(parents=True, exist_ok=True)

    def show(self, line1: str, line2: str) -> None:
        self.last = (line1, line2)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text(f"{line1[: self.width]}\n{line2[: self.width]}\n")
        os.replace(tmp, self.path)


def message(state: StationState, reason: str, outcome: str | None) -> tuple[str, str]:
    """The two lines a contestant reads for ``state``."""
    if state is StationState.DONE and outcome:
        return (outcome.upper(), reason or "all measurements within limits")
    titles = {
        StationState.IDLE: "STARTING",
        StationState.READY: "READY - press START",
        StationState.RUNNING: "TESTING - do not touch",
        StationState.FAULT: "BENCH FAULT - call a technician",
    }
    return titles.get(state, state.value.upper()), reason


# -- operator prompts ---------------------------------------------------------------------------
PROMPT_KINDS = ("instruction", "yes_no", "number")
Value = bool | float | None


@dataclass(frozen=True)
class Prompt:
    """A question a procedure puts to the contestant (or a judge).

    ``kind``: ``instruction`` (do something, then answer ``done``), ``yes_no`` or ``number``.
    ``code`` names its text in the contestant screen's catalogue (``prompt.<code>``, with
    ``params`` filled in); ``text`` is the English text kept in the record. ``timeout_s`` is
    real seconds (a person answers in real time, even on a simulated clock); when it passes,
    the answer is ``default``. None: wait until answered or the run is aborted.
    """

    id: str
    kind: str
    text: str
    code: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    timeout_s: float | None = None
    default: Value = None
    min: float | None = None
    max: float | None = None
    asked_at: float = 0.0
    """Wall time (s) it was put up."""

    def __post_init__(self) -> None:
        if self.kind not in PROMPT_KINDS:
            raise ValueError(f"prompt kind {self.kind!r}: one of {PROMPT_KINDS}")
        if self.timeout_s is not None and not self.timeout_s > 0:
            raise ValueError(f"prompt {self.id}: timeout_s must be > 0 or None")

    def to_dict(self) -> dict[str, Any]:
        """The wire form (``prompt`` of a status, an entry of a record's ``prompts``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "text": self.text,
            "asked_at": self.asked_at,
        }
        if self.code:
            d["code"], d["params"] = self.code, dict(self.params)
        for key in ("timeout_s", "default", "min", "max"):
            if getattr(self, key) is not None:
                d[key] = getattr(self, key)
        return d

    def check(self, value: Any) -> Value:
        """``value`` as this prompt's answer; ValueError saying why it is not one."""
        if self.kind == "instruction":
            return True
        if self.kind == "yes_no":
            if not isinstance(value, bool):
                raise ValueError("a yes/no answer is true or false")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("the answer must be a number")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("the answer must be a finite number")
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "+inf" if self.max is None else f"{self.max:g}"
            raise ValueError(f"the answer must be within {lo}..{hi}")
        return number


class PromptDesk:
    """The open prompt and its answer. A procedure :meth:`ask` s on the station's worker
    thread (it blocks); the contestant's screen, the START/ABORT buttons and the scorer's
    ``answer`` command :meth:`answer` from their own threads. Thread-safe; ``on_change`` is
    called (outside the lock) when a prompt opens or closes and must not raise."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.wall = wall
        self.on_change = on_change
        self._cond = threading.Condition()
        self._open: Prompt | None = None
        self._answer: dict[str, Any] | None = None
        self.expires_at: float | None = None
        """Real wall time (s) the open prompt takes its default (None: no timeout)."""

    @property
    def current(self) -> Prompt | None:
        """The prompt waiting for an answer, if any."""
        return self._open

    def ask(self, prompt: Prompt, should_stop: Callable[[], bool]) -> dict[str, Any]:
        """Put ``prompt`` up and wait for its answer, its timeout or ``should_stop``; return
        the record entry: the prompt with ``value``, ``by`` and ``answered_at``."""
        deadline = None if prompt.timeout_s is None else time.monotonic() + prompt.timeout_s
        with self._cond:
            self._open, self._answer = prompt, None
            self.expires_at = None if prompt.timeout_s is None else time.time() + prompt.timeout_s
        self._changed()
        try:
            with self._cond:
                while self._answer is None:
                    if should_stop():
                        self._answer = {"value": None, "by": "aborted"}
                        break
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        self._answer = {"value": prompt.default, "by": "timeout"}
                        break
                    self._cond.wait(0.05 if left is None else min(0.05, left))
                answer = self._answer
                self._open = None
        finally:
            self._changed()
        return {**prompt.to_dict(), **answer, "answered_at": answer.get("at", self.wall())}

    def answer(self, prompt_id: str, value: Any, by: str, judge: str = "") -> tuple[bool, str]:
        """Answer the open prompt ``prompt_id``; (False, why) if it is not open or ``value``
        does not fit it."""
        with self._cond:
            prompt = self._open
            if prompt is None or prompt.id != prompt_id or self._answer is not None:
                return False, f"prompt {prompt_id!r} is not waiting for an answer"
            try:
                checked = prompt.check(value)
            except ValueError as exc:
                return False, str(exc)
            self._answer = {"value": checked, "by": by, "at": self.wall()}
            if judge:
                self._answer["judge"] = judge[:64]
            self._cond.notify_all()
        return True, "answered"

    def press(self, button: str) -> bool:
        """A START (``start``: yes / done) or ABORT (``abort``: no) press while a yes/no or an
        instruction prompt is open; False (not used) otherwise, or ABORT at an instruction."""
        prompt = self._open
        if prompt is None:
            return False
        if prompt.kind == "yes_no":
            return self.answer(prompt.id, button == "start", "button")[0]
        if prompt.kind == "instruction" and button == "start":
            return self.answer(prompt.id, True, "button")[0]
        return False

    def _changed(self) -> None:
        try:
            self.on_change()
        except Exception:  # a screen must never break a measurement
            log.exception("prompt listener failed")
