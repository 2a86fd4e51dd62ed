"""What the contestant sees and hears at the station: tower light, buzzer, a small display.

Patterns (after the usual test-station conventions):

============================  =========================  ======================
state                         tower light                buzzer
============================  =========================  ======================
ready, jig closed             green steady               -
ready, jig open               green slow blink (1 s)     -
running                       amber blink (0.25 s)       -
done, pass                    green steady               one short beep
done, fail                    red steady                 three short beeps
fault                         red fast blink (0.5 s)     one long tone (1 s)
============================  =========================  ======================

The display is a hook: :class:`FileDisplay` writes the two-line message atomically to a file
that a small OLED/e-ink driver (or a terminal ``watch cat``) shows; :class:`NullDisplay` shows
nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

from firmware_py.state import StationState


class StatusLights:
    """The tower light's three lamps (gpiozero LEDs)."""

    def __init__(self, green: Any, amber: Any, red: Any) -> None:
        self.green, self.amber, self.red = green, amber, red

    def show(
        self, state: StationState, passed: bool | None = None, jig_closed: bool = True
    ) -> None:
        for lamp in (self.green, self.amber, self.red):
            lamp.off()
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

    def close(self) -> None:
        if self.buzzer is not None:
            self.buzzer.close()


class Display(Protocol):
    def show(self, line1: str, line2: str) -> None: ...


class NullDisplay:
    """No display fitted."""

    def show(self, line1: str, line2: str) -> None:
        return None


class FileDisplay:
    """Writes the message to ``path`` (two lines, replaced atomically) for a display driver."""

    def __init__(self, path: Path, width: int = 40) -> None:
        self.path = path
        self.width = width
        path.parent.mkdir(parents=True, exist_ok=True)

    def show(self, line1: str, line2: str) -> None:
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
