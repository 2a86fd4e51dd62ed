"""Measurements against limits, declared apart from how values are acquired (after OpenHTF).

A :class:`Limits` has a pass band ``[low, high]`` and an optional tighter marginal band
``[marginal_low, marginal_high]``: a value inside the pass band but outside the marginal band
passes as ``marginal``. A missing value (a sensor that failed) is ``error``, never ``pass``.

Uncertainty (ISO 14253-1): a measurement may carry ``u``, its expanded uncertainty (k = 2) in
its own unit. The ``simple`` decision rule (default) judges the value at the limits as they
are; the ``guard_band`` rule shrinks the pass band by ``u`` at each limit, so a value within
``u`` of a limit is not accepted (conformance not proven). Either way
:func:`inside_uncertainty` tells whether the verdict was decided inside the uncertainty
(a limit lies in ``[value - u, value + u]``, edges included).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """Outcome of one measurement."""

    PASS = "pass"
    MARGINAL = "marginal"
    FAIL = "fail"
    ERROR = "error"


class RunOutcome(StrEnum):
    """Outcome of a whole run: fault means the bench, not the assembly, could not decide."""

    PASS = "pass"
    FAIL = "fail"
    FAULT = "fault"


DECISION_RULES = ("simple", "guard_band")
"""How a value with an uncertainty is judged: at the limits, or inside limits shrunk by U."""


class LimitsError(ValueError):
    """Limits that cannot be applied (low above high, marginal band outside the pass band)."""


def with_unit(number: str, unit: str) -> str:
    """``number`` followed by its unit (nothing for a unitless ratio)."""
    return f"{number} {unit}" if unit else number


@dataclass(frozen=True)
class Limits:
    """Pass band and optional marginal band, in the measurement's unit."""

    low: float | None = None
    high: float | None = None
    marginal_low: float | None = None
    marginal_high: float | None = None

    def __post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise LimitsError(f"low {self.low} is above high {self.high}")
        if self.marginal_low is not None and self.low is not None and self.marginal_low < self.low:
            raise LimitsError(f"marginal_low {self.marginal_low} is below low {self.low}")
        if (
            self.marginal_high is not None
            and self.high is not None
            and self.marginal_high > self.high
        ):
            raise LimitsError(f"marginal_high {self.marginal_high} is above high {self.high}")

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> Limits:
        """Build limits from a config table; errors name ``where`` and the key."""
        known = {"low", "high", "marginal_low", "marginal_high", "unit"}
        unknown = set(raw) - known
        if unknown:
            raise LimitsError(
                f"{where}: unknown key(s) {sorted(unknown)}; expected {sorted(known)}"
            )
        values: dict[str, float | None] = {}
        for key in ("low", "high", "marginal_low", "marginal_high"):
            v = raw.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise LimitsError(f"{where}.{key}: expected a number, got {v!r}")
            values[key] = None if v is None else float(v)
        if values["low"] is None and values["high"] is None:
            raise LimitsError(f"{where}: needs at least one of 'low' or 'high'")
        try:
            return cls(**values)
        except LimitsError as exc:
            raise LimitsError(f"{where}: {exc}") from None

    def judge(self, value: float | None, u: float | None = None, rule: str = "simple") -> Outcome:
        """Return the outcome of ``value`` against these limits; with ``rule`` ``guard_band``
        and an uncertainty ``u``, the pass band is shrunk by ``u`` at each limit."""
        if value is None or not math.isfinite(value):
            return Outcome.ERROR
        guard = u if rule == "guard_band" and u is not None and u > 0 else 0.0
        if (self.low is not None and value < self.low + guard) or (
            self.high is not None and value > self.high - guard
        ):
            return Outcome.FAIL
        if (self.marginal_low is not None and value < self.marginal_low) or (
            self.marginal_high is not None and value > self.marginal_high
        ):
            return Outcome.MARGINAL
        return Outcome.PASS

    def edges(self) -> tuple[float, ...]:
        """Every limit a verdict is decided at (pass and marginal bands)."""
        return tuple(
            v for v in (self.low, self.high, self.marginal_low, self.marginal_high) if v is not None
        )

    def words(self, unit: str = "") -> str:
        """Where a failed value should have been, in words: ``outside 0.27..0.33 A``, ``below
        0.6``, ``above 4 W``."""
        if self.high is None and self.low is not None:
            return f"below {with_unit(f'{self.low:g}', unit)}"
        if self.low is None and self.high is not None:
            return f"above {with_unit(f'{self.high:g}', unit)}"
        return f"outside {with_unit(self.describe(), unit)}"

    def describe(self) -> str:
        """Human-readable band, e.g. ``0.09..0.13``."""
        lo = "-inf" if self.low is None else f"{self.low:g}"
        hi = "+inf" if self.high is None else f"{self.high:g}"
        return f"{lo}..{hi}"


@dataclass(frozen=True)
class Measurement:
    """One named value with its unit, limits and outcome."""

    name: str
    value: float | None
    unit: str
    limits: Limits = field(default_factory=Limits)
    outcome: Outcome = Outcome.ERROR
    reason: str = ""
    curve: str = ""
    """Name of the raw curve (in the same run) this value was computed from, if any."""
    code: str = ""
    """The reason as a message code (``too_high``, ``too_low``, ``no_value``) a reader's screen
    renders in its language with :attr:`params`; ``reason`` keeps the English text."""
    params: dict[str, Any] = field(default_factory=dict)
    """The code's parameters (``quantity``, ``value``, ``unit``, ``range``)."""
    u: float | None = None
    """Expanded uncertainty (k = 2) of ``value``, in ``unit`` (None: not stated)."""

    @classmethod
    def judged(
        cls,
        name: str,
        value: float | None,
        unit: str,
        limits: Limits,
        reason: str = "",
        curve: str = "",
        *,
        u: float | None = None,
        rule: str = "simple",
    ) -> Measurement:
        """Build a measurement and judge it against ``limits`` (with uncertainty ``u`` under
        decision ``rule``); a fail gets a short reason (a given ``reason`` replaces the English
        text; the code and parameters stay)."""
        outcome = limits.judge(value, u, rule)
        code, params = limit_reason(name, value, unit, limits, outcome)
        if not reason:
            if outcome is Outcome.FAIL and limits.judge(value) is not Outcome.FAIL:
                assert value is not None and u is not None
                reason = (
                    f"{name} {with_unit(f'{value:.4g} ± {u:.2g}', unit)} within U of a limit "
                    f"of {with_unit(limits.describe(), unit)} (guard band: conformance not proven)"
                )
            elif outcome is Outcome.FAIL:
                assert value is not None
                reason = f"{name} {with_unit(f'{value:.4g}', unit)} {limits.words(unit)}"
            elif outcome is Outcome.ERROR:
                reason = f"{name}: no valid reading"
        return cls(name, value, unit, limits, outcome, reason, curve, code, params, u)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["outcome"] = self.outcome.value
        d["limits"] = {k: v for k, v in asdict(self.limits).items() if v is not None}
        if not self.curve:
            del d["curve"]
        if not self.code:
            del d["code"], d["params"]
        if self.u is None:
            del d["u"]
        return d

    @property
    def inside_u(self) -> bool:
        """Whether the verdict was decided inside the uncertainty (see module doc)."""
        return inside_uncertainty(self.value, self.u, self.limits.edges())


def inside_uncertainty(value: float | None, u: float | None, edges: Iterable[float]) -> bool:
    """Whether a decision edge lies within ``[value - u, value + u]`` (edges included)."""
    if value is None or u is None or not math.isfinite(value) or not u > 0:
        return False
    return any(abs(value - edge) <= u * (1 + 1e-12) for edge in edges)


def limit_reason(
    name: str, value: float | None, unit: str, limits: Limits, outcome: Outcome
) -> tuple[str, dict[str, Any]]:
    """The code and parameters of a limit judgement's reason (``("", {})`` for a pass):
    ``too_high`` / ``too_low`` with ``quantity``, ``value``, ``unit`` and ``range`` (the pass
    band in plain words, e.g. ``3.2 – 4`` or ``≤ 1.2``), ``no_value`` with ``quantity``."""
    if outcome is Outcome.ERROR:
        return "no_value", {"quantity": name}
    if outcome is not Outcome.FAIL or value is None:
        return "", {}
    lo, hi = limits.low, limits.high
    if lo is not None and hi is not None:
        band = f"{lo:g} – {hi:g}"
    elif hi is not None:
        band = f"≤ {hi:g}"
    else:
        band = f"≥ {lo:g}"
    code = "too_low" if lo is not None and value < lo else "too_high"
    return code, {"quantity": name, "value": float(f"{value:.4g}"), "unit": unit, "range": band}


def run_outcome(measurements: Iterable[Measurement], faulted: bool = False) -> RunOutcome:
    """Combine outcomes: a fault, no measurement or any error is FAULT; any fail is FAIL."""
    outcomes = [m.outcome for m in measurements]
    if faulted or not outcomes or Outcome.ERROR in outcomes:
        return RunOutcome.FAULT
    if Outcome.FAIL in outcomes:
        return RunOutcome.FAIL
    return RunOutcome.PASS
