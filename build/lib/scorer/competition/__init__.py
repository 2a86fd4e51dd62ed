"""The competition: event, modules with time limits, competitors, station assignments, the
attempts policy, the module clocks sent to stations, judgements, and the marks.

An event file (``config/event/example.toml``)::

    [event]
    id = "regional-2025"          # the MQTT event id the stations publish under
    name = "Regional championship 2025: Electronics"
    scheme = "electronics-scheme.toml"

    [modules.led]
    name = "LED module"
    task = "led-module-a"         # the task id in the stations' result records
    day = 1
    time_limit_min = 210
    marked_attempts = 2           # marked runs that count; later ones are kept, not counted
    counted = "best"              # which attempt is marked: "best", "last" or "first"
    self_checks = 5               # self-check runs allowed (more are flagged, never marked)

    [competitors.C01]
    name = "Anna Ivanova"
    member = "Moscow"

    [assignments.led]             # station -> competitor, per module
    st01 = "C01"

Everything the workers share lives in the database: the event definition, each version of
the marking scheme, the module clocks, judgements (append-only, the latest score of each judge
counts), the marks per scheme version with a log of every change (old, new, why), and the
chief expert's overrides (a mark set by hand with who and why, in place of the computed one;
every reading of the marks applies them). Loading a changed scheme makes a new version and
re-marks every competitor from the stored measurements; the earlier version's marks stay as
they were.

Attempts: self-check runs (``marked: false``) are never marked. Marked runs of a competitor's
station for the module's task are attempts in the order they started, except runs a restart
interrupted and runs started outside the module's clock (before its start, or after its end
plus ``late_grace_s``; the station refuses those itself, this is the central check). The first
``marked_attempts`` count; ``counted`` picks the one whose measurement aspects earn the most
(``best``, ties to the earlier), the last or the first.

Module clock: ``start`` sets the end (start + limit) and sends ``set_time_limit`` to every
station of the module; a new limit moves the end and is sent again; ``freeze`` closes marked
runs (the stations get the freeze time as their end) and keeps the remaining time, ``resume``
gives it back; ``stop`` ends the module now. A station that missed a command (offline, the
command expired) is sent it again when its status shows another end (:meth:`Competition.
reconcile`), so a change reaches every station.

The parts: :mod:`.model` (the data), :mod:`.loading` (event files), :mod:`.base` (reading what
is stored), :mod:`.attempts` (the attempts policy), :mod:`.evaluation` (marks from runs and
judgements), :mod:`.remarking` (scheme versions, re-marking), :mod:`.judgements`,
:mod:`.overrides` (the chief expert's overrides, applied wherever marks are read),
:mod:`.marksheets` (reading marks), :mod:`.commands` (station commands, reconciling) and
:mod:`.clocks` (module clocks).
"""

from __future__ import annotations

from .attempts import Attempts
from .clocks import ModuleClocks
from .evaluation import Evaluation
from .judgements import Judgements
from .loading import load_event, parse_event
from .marksheets import MarkSheets
from .model import (
    CLOCK_STATES,
    LIMIT_TOLERANCE_S,
    CommandSink,
    CompetitionError,
    Competitor,
    Counted,
    EventDef,
    Module,
    ModuleClock,
    SchemeVersion,
)

__all__ = [
    "CLOCK_STATES",
    "LIMIT_TOLERANCE_S",
    "Attempts",
    "CommandSink",
    "Competition",
    "CompetitionError",
    "Competitor",
    "Counted",
    "Evaluation",
    "EventDef",
    "Module",
    "ModuleClock",
    "SchemeVersion",
    "load_event",
    "parse_event",
]


class Competition(Judgements, MarkSheets, ModuleClocks):
    """The competition tables of ``store``; ``send`` delivers commands to stations."""
