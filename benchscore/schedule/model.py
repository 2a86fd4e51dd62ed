"""A cycler schedule: ordered steps, each with a setpoint and end conditions, plus loops,
gotos and safety limits (after Maccor/Arbin/Neware step tables; see docs/ARCHITECTURE.md).

In a task file::

    [schedule]
    name = "cycle-life"
    sample_s = 30                 # default sampling interval of every step, s
    supply_current_a = 2.5        # default current limit of charge steps, A
    reference_voltage_v = 5.0     # capacity per cycle as mAh at this voltage (0: cell Ah)

    [schedule.safety]             # checked on every sample of every step: a trip aborts
    temp_max_c = 60.0             # (FAULT, load and supply off)
    v_max_v = 5.5

    [[schedule.steps]]
    id = "charge"
    kind = "cc_charge"            # supply at v_v, current limit i_a (CC, then CV at v_v)
    v_v = 5.0
    i_a = 2.0
    end = [{ i_lt_a = 0.25, times = 2 }, { t_gt_s = 14400, goto = "fault" }]

    [[schedule.steps]]
    id = "discharge"
    kind = "cc_discharge"         # electronic load at i_a
    i_a = 1.0
    end = [{ v_lt_v = 4.0 }]

    [[schedule.steps]]
    id = "life"
    kind = "loop"                 # back to ``to`` until the body ran ``repeat`` times
    to = "charge"
    repeat = 300
    stop_retention_lt = 0.8       # optional end of life: retention below 80 % of ref_cycle

Step kinds: ``rest`` (load and supply off), ``cc_charge`` and ``cv_hold`` (the supply at
``v_v`` with current limit ``i_a``: a bench supply is a CC/CV source), ``cc_discharge``
(``i_a``), ``cp_discharge`` (``p_w``), ``cr_discharge`` (``r_ohm``), ``pulse`` (``i_a`` for
``on_s``, ``i_low_a`` for ``off_s``, repeating), ``loop`` and ``goto`` (``to``). A caller may
add kinds of its own (a procedure's protection test) with ``extra_kinds``.

End conditions are one-key tables ``{ <quantity>_<op>_<unit> = value }`` with optional
``times`` (consecutive samples it must hold, default 1) and ``goto`` (a step id, ``"next"``
(default), ``"end"`` or ``"fault"``). Quantities: ``v`` (V), ``i`` (A, magnitude), ``t``
(step time, s), ``ah`` and ``wh`` (this step's charge and energy), ``temp`` (°C), ``dvdt``
(|dV/dt|, V/s); ops ``lt``, ``le``, ``gt``, ``ge``. Voltage and current are those of the side
the step drives: the supply's for charge steps, the load's for discharge and rest steps.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchscore.configfile import ConfigError, Table, finite_number

CHARGE_KINDS = ("cc_charge", "cv_hold")
DISCHARGE_KINDS = ("cc_discharge", "cp_discharge", "cr_discharge", "pulse")
FLOW_KINDS = ("loop", "goto")
BUILTIN_KINDS = ("rest", *CHARGE_KINDS, *DISCHARGE_KINDS, *FLOW_KINDS)

QUANTITIES: dict[str, tuple[str, str]] = {
    "v": ("_v", "V"),
    "i": ("_a", "A"),
    "t": ("_s", "s"),
    "ah": ("", "Ah"),
    "wh": ("", "Wh"),
    "temp": ("_c", "°C"),
    "dvdt": ("_v_per_s", "V/s"),
}
"""End-condition quantity -> (key suffix, unit)."""
OPS: dict[str, Callable[[float, float], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
END_KEYS: dict[str, tuple[str, str]] = {
    f"{q}_{op}{suffix}": (q, op) for q, (suffix, _unit) in QUANTITIES.items() for op in OPS
}
"""Every end-condition key, e.g. ``v_lt_v`` -> (``v``, ``lt``)."""
GOTO_SPECIAL = ("next", "end", "fault")
SETPOINTS = ("i_a", "v_v", "p_w", "r_ohm", "i_low_a", "on_s", "off_s")
NEEDS: dict[str, tuple[str, ...]] = {
    "cc_charge": ("v_v", "i_a"),
    "cv_hold": ("v_v",),
    "cc_discharge": ("i_a",),
    "cp_discharge": ("p_w",),
    "cr_discharge": ("r_ohm",),
    "pulse": ("i_a", "on_s", "off_s"),
}
MAX_REPEAT = 100_000


@dataclass(frozen=True)
class EndCondition:
    """Ends a step when ``quantity op value`` held on ``times`` consecutive samples."""

    key: str
    quantity: str
    op: str
    value: float
    times: int = 1
    goto: str = "next"

    def met(self, measured: float | None) -> bool:
        """Whether one sample's ``measured`` value satisfies the condition (a time limit is
        sampled exactly when it runs out, so ``t_gt`` is met there as ``t_ge`` is)."""
        if measured is None:
            return False
        if self.quantity == "t":  # clock arithmetic: land on the limit, not a hair short
            measured = round(measured, 6)
            if self.op == "gt":
                return measured >= self.value
        return OPS[self.op](measured, self.value)

    def describe(self) -> str:
        unit = QUANTITIES[self.quantity][1]
        sign = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}[self.op]
        return f"{self.quantity} {sign} {self.value:g} {unit}"


@dataclass(frozen=True)
class Step:
    """One row of the schedule: a kind, its setpoints, its end conditions."""

    id: str
    kind: str
    setpoints: dict[str, float] = field(default_factory=dict)
    end: tuple[EndCondition, ...] = ()
    sample_s: float | None = None
    to: str = ""
    """loop/goto: the step to jump to."""
    repeat: int = 1
    """loop: how many times the body runs in all."""
    advance_cycle: bool = True
    """loop: each pass closes a cycle of the cycle-life report."""
    stop_retention_lt: float | None = None
    """loop: stop once a cycle's capacity falls below this fraction of ``ref_cycle``'s."""
    ref_cycle: int = 1
    sample_at_start: bool = True
    """Take a sample as the step starts (then every ``sample_s``)."""

    def get(self, name: str, default: float = 0.0) -> float:
        return self.setpoints.get(name, default)


@dataclass(frozen=True)
class Safety:
    """Limits checked on every sample; any trip aborts the run (FAULT, everything off)."""

    v_max_v: float | None = None
    v_min_v: float | None = None
    """Only while a discharge step draws current (a power bank's output reads 0 V at rest)."""
    i_max_a: float | None = None
    temp_max_c: float | None = None
    temp_min_c: float | None = None

    def trip(self, kind: str, v: float | None, i: float | None, temp_c: float | None) -> str | None:
        """Why a sample trips a limit (None if it does not)."""
        if self.temp_max_c is not None and temp_c is not None and temp_c > self.temp_max_c:
            return f"over-temperature {temp_c:.1f} °C above the {self.temp_max_c:g} °C limit"
        if self.temp_min_c is not None and temp_c is not None and temp_c < self.temp_min_c:
            return f"under-temperature {temp_c:.1f} °C below the {self.temp_min_c:g} °C limit"
        if self.v_max_v is not None and v is not None and v > self.v_max_v:
            return f"over-voltage {v:.3f} V above the {self.v_max_v:g} V limit"
        drawing = kind in DISCHARGE_KINDS and i is not None and i > 0.0
        if self.v_min_v is not None and drawing and v is not None and v < self.v_min_v:
            return f"under-voltage {v:.3f} V below the {self.v_min_v:g} V limit"
        if self.i_max_a is not None and i is not None and abs(i) > self.i_max_a:
            return f"over-current {abs(i):.3f} A above the {self.i_max_a:g} A limit"
        return None


@dataclass(frozen=True)
class Schedule:
    """A whole schedule: steps in order, safety limits, sampling and reporting defaults."""

    name: str
    steps: tuple[Step, ...]
    safety: Safety = field(default_factory=Safety)
    sample_s: float = 10.0
    supply_current_a: float = 3.0
    reference_voltage_v: float = 0.0
    """Capacity per cycle reported as mAh at this voltage (Wh / V); 0: charge in mAh."""

    def index(self, step_id: str) -> int:
        for k, step in enumerate(self.steps):
            if step.id == step_id:
                return k
        raise KeyError(step_id)

    @property
    def cycles_expected(self) -> int:
        """Cycles the loops that advance the cycle count run in all (at least 1)."""
        total = 1
        for step in self.steps:
            if step.kind == "loop" and step.advance_cycle:
                total *= step.repeat
        return total


def _end(t: Table, raw: Any, where: str) -> EndCondition:
    if not isinstance(raw, dict):
        raise t.error(where, f"expected a table like {{ v_lt_v = 3.0 }}, got {raw!r}")
    keys = [k for k in raw if k not in ("times", "goto")]
    unknown = [k for k in keys if k not in END_KEYS]
    if unknown or len(keys) != 1:
        raise t.error(
            where,
            f"expected exactly one condition key ({', '.join(sorted(END_KEYS)[:6])}, ...), "
            f"got {sorted(keys)}",
        )
    key = keys[0]
    value = raw[key]
    if not finite_number(value):
        raise t.error(f"{where}.{key}", f"expected a finite number, got {value!r}")
    times = raw.get("times", 1)
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise t.error(f"{where}.times", f"expected a whole number >= 1, got {times!r}")
    goto = raw.get("goto", "next")
    if not isinstance(goto, str) or not goto:
        raise t.error(f"{where}.goto", f"expected a step id, next, end or fault, got {goto!r}")
    quantity, op = END_KEYS[key]
    return EndCondition(key, quantity, op, float(value), times, goto)


def _step(t: Table, kinds: Sequence[str]) -> Step:
    step_id = t.get_str("id")
    kind = t.get_choice("kind", list(kinds))
    setpoints: dict[str, float] = {}
    for name in SETPOINTS:
        if t.has(name):
            positive = name not in ("i_low_a",)
            setpoints[name] = t.get_float(name, positive=positive, min=0.0)
    missing = [n for n in NEEDS.get(kind, ()) if n not in setpoints]
    if missing:
        raise t.error(None, f"a {kind} step needs {missing}")
    raw_end = t._get("end", [])
    if not isinstance(raw_end, list):
        raise t.error("end", f"expected a list of conditions, got {raw_end!r}")
    end = tuple(_end(t, c, f"end[{k}]") for k, c in enumerate(raw_end))
    step = Step(
        id=step_id,
        kind=kind,
        setpoints=setpoints,
        end=end,
        sample_s=t.get_float("sample_s", None, positive=True),
        to=t.get_str("to", ""),
        repeat=t.get_int("repeat", 1, min=1),
        advance_cycle=t.get_bool("advance_cycle", True),
        stop_retention_lt=t.get_float("stop_retention_lt", None, min=0.0, max=1.0),
        ref_cycle=t.get_int("ref_cycle", 1, min=1),
        sample_at_start=t.get_bool("sample_at_start", True),
    )
    t.check_unknown()
    if step.repeat > MAX_REPEAT:
        raise t.error("repeat", f"at most {MAX_REPEAT}, got {step.repeat}")
    if kind in FLOW_KINDS and not step.to:
        raise t.error("to", f"a {kind} step needs 'to' (the step to jump to)")
    if kind not in FLOW_KINDS and not end and kind != "rest" and kind in BUILTIN_KINDS:
        raise t.error("end", f"a {kind} step needs at least one end condition")
    if kind == "rest" and not end:
        raise t.error("end", "a rest step needs an end condition such as { t_gt_s = 600 }")
    return step


def parse_schedule(t: Table, extra_kinds: Sequence[str] = ()) -> Schedule:
    """Read a ``[schedule]`` table; every error names the file and the key."""
    kinds = [*BUILTIN_KINDS, *extra_kinds]
    name = t.get_str("name", "schedule")
    sample_s = t.get_float("sample_s", 10.0, positive=True)
    s_t = t.table("safety", required=False)
    safety = Safety(
        v_max_v=s_t.get_float("v_max_v", None),
        v_min_v=s_t.get_float("v_min_v", None),
        i_max_a=s_t.get_float("i_max_a", None, positive=True),
        temp_max_c=s_t.get_float("temp_max_c", None),
        temp_min_c=s_t.get_float("temp_min_c", None),
    )
    s_t.check_unknown()
    raw_steps = t._get("steps", None)
    if raw_steps is None:
        raise t.error("steps", "missing (a schedule needs [[schedule.steps]])")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise t.error("steps", "expected one or more [[schedule.steps]] tables")
    steps: list[Step] = []
    for k, raw in enumerate(raw_steps):
        if not isinstance(raw, dict):
            raise t.error(f"steps[{k}]", f"expected a table, got {raw!r}")
        steps.append(_step(Table(raw, t.file, f"{t.path}.steps[{k}]"), kinds))
    schedule = Schedule(
        name=name,
        steps=tuple(steps),
        safety=safety,
        sample_s=sample_s,
        supply_current_a=t.get_float("supply_current_a", 3.0, positive=True),
        reference_voltage_v=t.get_float("reference_voltage_v", 0.0, min=0.0),
    )
    t.check_unknown()
    check_schedule(schedule, t.where("steps"))
    return schedule


def check_schedule(schedule: Schedule, where: str) -> None:
    """Ids unique, every jump target a step (or next/end/fault), loops pointing backwards."""
    ids = [s.id for s in schedule.steps]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{where}: step id(s) {dupes} used twice")
    for k, step in enumerate(schedule.steps):
        if step.kind in FLOW_KINDS and step.to not in ids:
            raise ConfigError(f"{where}: step {step.id!r}: 'to' names no step: {step.to!r}")
        if step.kind == "loop" and schedule.index(step.to) >= k:
            raise ConfigError(f"{where}: loop {step.id!r} must jump back to an earlier step")
        for cond in step.end:
            if cond.goto not in GOTO_SPECIAL and cond.goto not in ids:
                raise ConfigError(
                    f"{where}: step {step.id!r}: goto {cond.goto!r} is not a step id "
                    f"or one of {', '.join(GOTO_SPECIAL)}"
                )
