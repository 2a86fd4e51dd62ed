"""The power bank's protections and their timers.

Short circuit (output collapses below ``short_circuit_v``, immediate) and over-current (above
``over_current_a`` for ``over_current_delay_s``), both with automatic retry every ``retry_s``
(hiccup: the output comes back once the overload is gone); over-discharge (cell under load
below ``over_discharge_v`` for ``over_discharge_delay_s``, latched until a charger is
connected); over-temperature with hysteresis.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from benchscore.sim.assemblies.power_bank.operating_point import OperatingPoint
from benchscore.sim.assemblies.power_bank.spec import PowerBankSpec

EVENT_TOLERANCE_S = 1e-9
"""A delay or retry counts as expired this close to its end (steps end exactly on events)."""


class ProtectionTrip(StrEnum):
    """Why the output is off."""

    SHORT_CIRCUIT = "short_circuit"
    OVER_CURRENT = "over_current"
    OVER_DISCHARGE = "over_discharge"
    OVER_TEMPERATURE = "over_temperature"


_RETRIED = (ProtectionTrip.SHORT_CIRCUIT, ProtectionTrip.OVER_CURRENT)
"""Trips the bank retries by itself after ``retry_s`` (hiccup mode)."""


@dataclass
class _Delay:
    """A condition that must hold for ``delay_s`` (s) before its protection trips."""

    delay_s: float
    since_s: float | None = None
    """When the condition started holding (None: it does not hold)."""

    @property
    def expires_s(self) -> float | None:
        """When the delay runs out if the condition keeps holding, s (None: not running)."""
        return None if self.since_s is None else self.since_s + self.delay_s

    def held(self, condition: bool, now_s: float) -> bool:
        """Track ``condition`` at ``now_s``; True once it has held for the whole delay."""
        if not condition:
            self.since_s = None
            return False
        if self.since_s is None:
            self.since_s = now_s
        return now_s >= self.since_s + self.delay_s - EVENT_TOLERANCE_S


class Protection:
    """The protection state of a bank built to ``spec`` (the actual one)."""

    def __init__(self, spec: PowerBankSpec) -> None:
        self.spec = spec
        self.trip: ProtectionTrip | None = None
        """The protection holding the output off now, if any."""
        self.trip_count = 0
        """How many times a protection has tripped."""
        self._retry_at_s: float | None = None
        self._over_current = _Delay(spec.over_current_delay_s)
        self._over_discharge = _Delay(spec.over_discharge_delay_s)

    @property
    def output_enabled(self) -> bool:
        """True unless a protection holds the output off."""
        return self.trip is None

    def next_event_s(self) -> float | None:
        """Earliest pending protection event (delay expiry, retry), s."""
        events = [self._over_current.expires_s, self._over_discharge.expires_s, self._retry_at_s]
        pending = [event_s for event_s in events if event_s is not None]
        return min(pending) if pending else None

    def release(self, now_s: float, temperature_c: float, charger_valid: bool) -> None:
        """Let the output back on: retry due, cooled down, or a charger connected."""
        if (
            self.trip in _RETRIED
            and self._retry_at_s is not None
            and now_s >= self._retry_at_s - EVENT_TOLERANCE_S
        ):
            self.trip = None
            self._retry_at_s = None
        elif (
            self.trip is ProtectionTrip.OVER_TEMPERATURE
            and temperature_c <= self.spec.over_temperature_release_c
        ) or (self.trip is ProtectionTrip.OVER_DISCHARGE and charger_valid):
            self.trip = None

    def check(
        self,
        now_s: float,
        temperature_c: float,
        point: OperatingPoint,
        *,
        load_attached: bool,
        charger_valid: bool,
    ) -> None:
        """Trip a protection if ``point`` calls for one now (nothing while one is tripped)."""
        if self.trip is not None:
            return
        a = self.spec
        if temperature_c >= a.over_temperature_c:
            self._trip_now(ProtectionTrip.OVER_TEMPERATURE, now_s)
            return
        loaded = load_attached and point.output_current_a > 0
        if a.protection_short_circuit and loaded and point.output_voltage_v < a.short_circuit_v:
            self._trip_now(ProtectionTrip.SHORT_CIRCUIT, now_s)
            return
        over_current = a.protection_over_current and point.output_current_a > a.over_current_a
        if self._over_current.held(over_current, now_s):
            self._trip_now(ProtectionTrip.OVER_CURRENT, now_s)
            return
        under_voltage = point.cell_voltage_v < a.over_discharge_v or point.cell_power_limited
        over_discharge = under_voltage and point.cell_current_a > 0 and not charger_valid
        if self._over_discharge.held(over_discharge, now_s):
            self._trip_now(ProtectionTrip.OVER_DISCHARGE, now_s)

    def _trip_now(self, reason: ProtectionTrip, now_s: float) -> None:
        self.trip = reason
        self.trip_count += 1
        self._over_current.since_s = None
        self._over_discharge.since_s = None
        if reason in _RETRIED:
            self._retry_at_s = now_s + self.spec.retry_s
        else:
            self._retry_at_s = None
