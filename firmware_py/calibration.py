"""Per-sensor calibration against a reference, and the golden-assembly self-test.

A calibration corrects one quantity of one sensor of the hardware map (``light_sensor`` /
``illuminance_lx``, ``output_monitor`` / ``current_a``...): ``corrected = gain * si + offset``,
where ``si`` is the driver's SI value. It is found by reading the sensor while a reference
instrument reads the same stimulus (a reference lux meter at the sensor's position, a known
load current) and stored with its date, its reference and its uncertainty in a small JSON
store (``<state_dir>/calibration.json`` unless the station config names another file). The
latest calibration of a sensor and quantity is the active one.

The station applies the active calibrations between the drivers and the procedures
(:class:`Corrections` wraps each sensor), and every result record names the calibrations
that were applied (``calibrations``: their ids).

Uncertainty: the relative expanded uncertainty (k = 2) of a corrected value,
``U = 2 * sqrt(u_ref^2 + u_repeat^2 + u_fit^2)`` with ``u_ref`` the reference's relative
standard uncertainty (from its certificate), ``u_repeat`` the standard error of the mean of
the sensor's readings, ``u_fit`` the rms residual of a multi-point fit.

The golden-assembly self-test runs the task against the station's known-good reference
assembly and compares every measurement with the values stored for it (:class:`GoldenStore`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from benchscore.configfile import unknown_name
from benchscore.measurement import Limits, Measurement

log = logging.getLogger(__name__)

SCHEMA = 1
UNITS = {
    "illuminance_lx": "lx",
    "current_a": "A",
    "bus_voltage_v": "V",
    "temperature_c": "degC",
    "ripple_v": "V",
}
"""Quantities a calibration can correct, with their units."""


class CalibrationError(ValueError):
    """A calibration that cannot be made or stored (no readings, a zero reading...)."""


class GoldenNotPassed(CalibrationError):
    """The golden assembly cannot vouch for the station: it failed, or has no stored values."""


NOT_CALIBRATABLE = ("channel_switch", "mux", "panel", "eload", "supply", "dali")
"""Devices of the hardware map that measure nothing a calibration could correct."""


def calibratable_sensors(names: Sequence[str]) -> list[str]:
    """The sensors of a hardware map (:func:`~firmware_py.config.sensor_names`) a
    calibration can be made for."""
    return [n for n in names if n not in NOT_CALIBRATABLE]


def check_sensor(sensor: str, valid: Sequence[str]) -> None:
    """Raise CalibrationError naming the valid sensors (and the closest) if ``sensor`` is
    not one of them."""
    if sensor not in valid:
        raise CalibrationError(unknown_name("sensor", sensor, valid))


def check_reference(reference_value: float | None, method: str, *, force: bool = False) -> None:
    """A reference reading must be a finite number, and above 0 for a gain calibration (a
    lux meter or load current of 0 or below is a typo or a meter that was off)."""
    if reference_value is None:
        return
    if not math.isfinite(reference_value):
        raise CalibrationError(f"--reference: must be a finite number, got {reference_value}")
    if method != "offset" and reference_value <= 0 and not force:
        raise CalibrationError(
            f"--reference: {reference_value:g} is not above 0, so no gain can be fitted "
            "(check the reference instrument; --force stores it anyway)"
        )


def check_gain(cal: Calibration, gain_range: tuple[float, float], *, force: bool = False) -> None:
    """Refuse a gain outside ``gain_range`` (a typo in the reference, a covered sensor)."""
    low, high = gain_range
    if cal.method != "offset" and not low <= cal.gain <= high and not force:
        raise CalibrationError(
            f"{cal.sensor}/{cal.quantity}: gain {cal.gain:.4g} (reading "
            f"{cal.reading_value:.6g} vs reference {cal.reference_value:.6g} {cal.unit}) is "
            f"outside the plausible {low:g}..{high:g} ([calibration] gain_range); nothing "
            "stored (--force stores it anyway)"
        )


@dataclass(frozen=True)
class Calibration:
    """One stored calibration of one quantity of one sensor."""

    id: str
    station: str
    sensor: str
    quantity: str
    unit: str
    gain: float
    offset: float
    date: str
    """ISO 8601 UTC time of the calibration."""
    reference: str
    """The reference: instrument and serial, or 'simulation ground truth'."""
    reference_value: float
    """Mean reference value, in ``unit``."""
    reading_value: float
    """Mean uncorrected sensor reading, in ``unit``."""
    samples: int
    uncertainty: float
    """Relative expanded uncertainty (k = 2) of a corrected value."""
    method: str = "gain"
    """'gain' (ratio at one point), 'offset' (difference at one point), 'linear' (fit)."""
    points: tuple[tuple[float, float], ...] = ()
    """(reading, reference) pairs of a multi-point calibration."""

    def apply(self, value: float) -> float:
        return self.gain * value + self.offset

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["points"] = [list(p) for p in self.points]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        data = dict(d)
        data["points"] = tuple(tuple(p) for p in data.get("points", ()))
        return cls(**data)


def calibration_id(station: str, sensor: str, quantity: str, date: datetime) -> str:
    """A readable unique id: ``<station>.<sensor>.<quantity>.<UTC timestamp>`` (<= 64)."""
    stamp = date.strftime("%Y%m%dT%H%M%SZ")
    text = f"{station}.{sensor}.{quantity}.{stamp}"
    return text[-64:]


def fit(
    readings: Sequence[float],
    references: Sequence[float],
    *,
    method: str = "gain",
    reference_uncertainty: float = 0.0,
) -> tuple[float, float, float]:
    """Return (gain, offset, relative expanded uncertainty) from paired readings.

    ``method`` 'gain' forces the line through zero (one point is enough), 'offset' keeps the
    gain at 1 (thermometers), 'linear' fits both (two or more distinct points).
    """
    x = np.asarray(readings, dtype=float)
    y = np.asarray(references, dtype=float)
    if x.size == 0 or x.size != y.size or not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise CalibrationError("need equal numbers of finite readings and reference values")
    if method == "gain":
        if abs(float(x.mean())) < 1e-12:
            raise CalibrationError("the sensor read zero: cannot fit a gain")
        gain, offset = float(y.mean() / x.mean()), 0.0
    elif method == "offset":
        gain, offset = 1.0, float((y - x).mean())
    elif method == "linear":
        if np.unique(x).size < 2:
            raise CalibrationError("a linear calibration needs two distinct points")
        gain_a, offset_a = np.polyfit(x, y, 1)
        gain, offset = float(gain_a), float(offset_a)
    else:
        raise CalibrationError(f"unknown method {method!r}: gain, offset or linear")
    corrected = gain * x + offset
    scale = max(abs(float(y.mean())), 1e-12)
    residual = corrected - y
    u_repeat = u_fit = 0.0
    if method == "linear":
        if np.unique(x).size > 2:
            u_fit = float(np.sqrt(np.mean(residual**2))) / scale
    elif x.size > 1:  # scatter of the readings against the reference: standard error
        u_repeat = float(np.std(residual, ddof=1)) / math.sqrt(x.size) / scale
    uncertainty = 2.0 * math.sqrt(reference_uncertainty**2 + u_repeat**2 + u_fit**2)
    return gain, offset, uncertainty


class CalibrationStore:
    """The calibrations of one station, in a JSON file (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._records: list[Calibration] = []

    def _reload(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            self._records, self._mtime = [], None
            return
        if mtime == self._mtime:
            return
        try:
            data = json.loads(self.path.read_text())
            records = [Calibration.from_dict(d) for d in data["calibrations"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CalibrationError(f"{self.path}: unreadable calibration store: {exc}") from exc
        self._records, self._mtime = records, mtime

    def all(self) -> list[Calibration]:
        with self._lock:
            self._reload()
            return list(self._records)

    def active(self, sensor: str, quantity: str) -> Calibration | None:
        """The latest calibration of ``sensor`` / ``quantity``, or None."""
        best: Calibration | None = None
        for c in self.all():  # the latest date wins; on a tie, the one stored last
            if (
                c.sensor == sensor
                and c.quantity == quantity
                and (best is None or c.date >= best.date)
            ):
                best = c
        return best

    def remove(self, calibration_id: str) -> Calibration:
        """Delete the calibration ``calibration_id`` (the previous one of its sensor and
        quantity becomes active again) and return it."""
        with self._lock:
            self._reload()
            ids = [r.id for r in self._records]
            if calibration_id not in ids:
                if not ids:
                    raise CalibrationError(
                        f"{self.path}: no calibration {calibration_id!r}: none is stored"
                    )
                raise CalibrationError(f"{self.path}: " + unknown_name("id", calibration_id, ids))
            removed = self._records[ids.index(calibration_id)]
            self._write([r for r in self._records if r.id != calibration_id])
        return removed

    def _write(self, records: list[Calibration]) -> None:
        """Replace the file atomically with ``records`` (call with the lock held)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(
            json.dumps({"schema": SCHEMA, "calibrations": [r.to_dict() for r in records]}, indent=1)
        )
        os.replace(tmp, self.path)
        self._records, self._mtime = records, None

    def add(self, calibration: Calibration) -> Calibration:
        """Store ``calibration`` (its id made unique) and return it as stored."""
        with self._lock:
            self._reload()
            ids = {r.id for r in self._records}
            base, n = calibration.id, 1
            while calibration.id in ids:  # two calibrations in the same second
                n += 1
                calibration = replace(calibration, id=f"{base[:60]}-{n}")
            self._write([*self._records, calibration])
        return calibration


def make_calibration(
    *,
    station: str,
    sensor: str,
    quantity: str,
    readings: Sequence[float],
    references: Sequence[float],
    reference: str,
    reference_uncertainty: float = 0.0,
    method: str = "gain",
    date: datetime | None = None,
) -> Calibration:
    """Fit and describe a calibration (not stored yet)."""
    if quantity not in UNITS:
        raise CalibrationError(f"unknown quantity {quantity!r}; known: {sorted(UNITS)}")
    when = date or datetime.now(UTC)
    gain, offset, uncertainty = fit(
        readings, references, method=method, reference_uncertainty=reference_uncertainty
    )
    points: tuple[tuple[float, float], ...] = ()
    if method == "linear":
        points = tuple((float(a), float(b)) for a, b in zip(readings, references, strict=True))
    return Calibration(
        id=calibration_id(station, sensor, quantity, when),
        station=station,
        sensor=sensor,
        quantity=quantity,
        unit=UNITS[quantity],
        gain=gain,
        offset=offset,
        date=when.isoformat(timespec="seconds"),
        reference=reference,
        reference_value=float(np.mean(references)),
        reading_value=float(np.mean(readings)),
        samples=len(readings),
        uncertainty=uncertainty,
        method=method,
        points=points,
    )


# -- applying calibrations ---------------------------------------------------------------------


@dataclass(frozen=True)
class CorrectedReading:
    """An electrical reading after calibration (power recomputed as V * I)."""

    bus_voltage_v: float
    current_a: float
    power_w: float


@dataclass(frozen=True)
class CorrectedColour:
    illuminance_lx: float
    cct_k: float | None
    duv: float | None
    xy: tuple[float, float] | None


class Corrections:
    """The bridge between a station's drivers and its calibration store.

    Each ``wrap_*`` puts a correcting wrapper around a sensor and records that the sensor is
    on the bench; the active calibration is looked up at every reading, so a calibration made
    while the station runs applies from the next reading on. Iterating gives the ids of the
    calibrations that apply to the bench's sensors now (what a record names).

    An unreadable store never stops the station: iterating leaves it out (and logs it once),
    while a reading that needs a correction raises :class:`CalibrationError` naming the file,
    so the run is a bench fault rather than a result measured with unknown corrections.
    """

    def __init__(self, store: CalibrationStore | None) -> None:
        self.store = store
        self._sensors: list[tuple[str, str]] = []
        self._reported = ""

    def reset(self) -> None:
        self._sensors.clear()

    def __iter__(self) -> Iterator[str]:
        ids: list[str] = []
        for sensor, quantity in self._sensors:
            try:
                cal = self.lookup(sensor, quantity)
            except CalibrationError as exc:
                if str(exc) != self._reported:
                    self._reported = str(exc)
                    log.error("%s: runs fault until it is fixed or removed", exc)
                continue
            if cal is not None and cal.id not in ids:
                ids.append(cal.id)
        return iter(ids)

    def lookup(self, sensor: str, quantity: str) -> Calibration | None:
        return None if self.store is None else self.store.active(sensor, quantity)

    def correct(self, sensor: str, quantity: str, value: float) -> float:
        cal = self.lookup(sensor, quantity)
        return value if cal is None else cal.apply(value)

    def use(self, sensor: str, *quantities: str) -> None:
        for quantity in quantities:
            if (sensor, quantity) not in self._sensors:
                self._sensors.append((sensor, quantity))

    def light(self, sensor: str, read: Callable[[], float]) -> CalibratedLight:
        self.use(sensor, "illuminance_lx")
        return CalibratedLight(self, sensor, read)

    def monitor(self, sensor: str, device: Any) -> CalibratedMonitor:
        self.use(sensor, "bus_voltage_v", "current_a")
        return CalibratedMonitor(self, sensor, device)

    def colour(self, sensor: str, read: Callable[[], CorrectedColour]) -> CalibratedColour:
        self.use(sensor, "illuminance_lx")
        return CalibratedColour(self, sensor, read)

    def value(self, sensor: str, quantity: str, read: Callable[[], float]) -> Callable[[], float]:
        self.use(sensor, quantity)
        return lambda: self.correct(sensor, quantity, read())


class CalibratedLight:
    """A light sensor whose lux are corrected."""

    def __init__(self, corrections: Corrections, sensor: str, read: Callable[[], float]) -> None:
        self.corrections, self.sensor, self._read = corrections, sensor, read

    def measure_lx(self) -> float:
        return self.corrections.correct(self.sensor, "illuminance_lx", self._read())


class CalibratedMonitor:
    """A power monitor whose voltage and current are corrected (power = V * I)."""

    def __init__(self, corrections: Corrections, sensor: str, device: Any) -> None:
        self.corrections, self.sensor, self.device = corrections, sensor, device

    def read(self) -> CorrectedReading:
        raw = self.device.read()
        volts = self.corrections.correct(self.sensor, "bus_voltage_v", raw.bus_voltage_v)
        amps = self.corrections.correct(self.sensor, "current_a", raw.current_a)
        if volts == raw.bus_voltage_v and amps == raw.current_a:
            return CorrectedReading(volts, amps, raw.power_w)
        return CorrectedReading(volts, amps, volts * amps)


class CalibratedColour:
    """A colour sensor whose illuminance is corrected (chromaticity is a ratio: a gain error
    of the whole sensor leaves it unchanged)."""

    def __init__(
        self, corrections: Corrections, sensor: str, read: Callable[[], CorrectedColour]
    ) -> None:
        self.corrections, self.sensor, self._read = corrections, sensor, read

    def read_colour(self) -> CorrectedColour:
        raw = self._read()
        lx = self.corrections.correct(self.sensor, "illuminance_lx", raw.illuminance_lx)
        return CorrectedColour(lx, raw.cct_k, raw.duv, raw.xy)


# -- golden assembly ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldenReference:
    """What the station's golden assembly measured when its reference values were taken."""

    task: str
    station: str
    date: str
    values: dict[str, float]
    calibrations: tuple[str, ...] = ()
    tolerance: float = 0.03
    """Relative tolerance of the self-test (per value; see :func:`compare_golden`)."""


@dataclass(frozen=True)
class GoldenCheck:
    name: str
    golden: float
    measured: float | None
    allowed: float
    ok: bool


class GoldenStore:
    """Golden values per task, in a JSON file next to the calibration store."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"schema": SCHEMA, "golden": {}}
        try:
            data: dict[str, Any] = json.loads(self.path.read_text())
        except (OSError, ValueError) as exc:
            raise CalibrationError(f"{self.path}: unreadable golden store: {exc}") from exc
        return data

    def get(self, task: str) -> GoldenReference | None:
        raw = self._load()["golden"].get(task)
        if raw is None:
            return None
        raw = dict(raw)
        raw["calibrations"] = tuple(raw.get("calibrations", ()))
        return GoldenReference(**raw)

    def put(self, golden: GoldenReference) -> None:
        data = self._load()
        entry = asdict(golden)
        entry["calibrations"] = list(golden.calibrations)
        data["golden"][golden.task] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)


def golden_from(
    task: str,
    station: str,
    measurements: Sequence[Measurement],
    calibrations: Sequence[str],
    tolerance: float = 0.03,
) -> GoldenReference:
    values = {m.name: float(m.value) for m in measurements if m.value is not None}
    return GoldenReference(
        task=task,
        station=station,
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        values=values,
        calibrations=tuple(calibrations),
        tolerance=tolerance,
    )


def _band(limits: Limits) -> float:
    if limits.low is not None and limits.high is not None:
        return limits.high - limits.low
    return 0.0


def compare_golden(
    golden: GoldenReference, measurements: Sequence[Measurement]
) -> list[GoldenCheck]:
    """Compare a run of the golden assembly with its stored values.

    A value passes within ``tolerance`` of the golden value, or within 5 % of its pass band
    (values near zero: Duv, ripple, trip times), whichever is wider. A measurement missing
    from the run fails.
    """
    measured = {m.name: m for m in measurements}
    checks = []
    for name, value in sorted(golden.values.items()):
        m = measured.get(name)
        allowed = golden.tolerance * abs(value)
        if m is not None:
            allowed = max(allowed, 0.05 * _band(m.limits))
        got = None if m is None else m.value
        ok = got is not None and abs(got - value) <= allowed
        checks.append(GoldenCheck(name, value, got, allowed, ok))
    return checks


@dataclass
class SelfTestReport:
    """The outcome of a golden-assembly self-test."""

    ok: bool
    run_outcome: str
    reason: str
    checks: list[GoldenCheck] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"self-test {'PASS' if self.ok else 'FAIL'}: run {self.run_outcome} {self.reason}"]
        for c in self.checks:
            got = "missing" if c.measured is None else f"{c.measured:.6g}"
            out.append(
                f"  {'ok  ' if c.ok else 'FAIL'} {c.name}: {got} (golden {c.golden:.6g} "
                f"+- {c.allowed:.3g})"
            )
        return out


# -- acquisition on a station ------------------------------------------------------------------


def default_quantity(sensor: str) -> str:
    """What a sensor is calibrated for unless told otherwise."""
    if sensor.endswith("_monitor"):
        return "current_a"
    if sensor == "thermometer":
        return "temperature_c"
    if sensor == "ripple_adc":
        return "ripple_v"
    return "illuminance_lx"


def calibrate_sensor(
    hw: Any,
    sensor: str,
    quantity: str | None = None,
    *,
    reference_value: float | None,
    reference: str = "",
    reference_uncertainty: float = 0.0,
    samples: int = 10,
    interval_s: float = 0.2,
    method: str | None = None,
    known_load_a: float | None = None,
    store: bool = True,
    gain_range: tuple[float, float] | None = None,
    force: bool = False,
) -> Calibration:
    """Calibrate one sensor of a station's bench against a reference; store and return it.

    ``hw`` is the station's :class:`~firmware_py.hardware.StationHardware`. The sensor is
    read ``samples`` times, uncorrected, while the bench provides the stimulus (the assembly
    lit, the first scene on, a known load). ``reference_value`` is what the reference
    instrument read at the sensor (a lux meter at the sensor's position, the known load's
    current); None takes the simulation's ground truth (``backend = "sim"`` only).

    Refused unless ``force``: a reference of 0 or below (gain methods), a gain outside
    ``gain_range`` (default: the station's ``[calibration] gain_range``).
    """
    quantity = quantity or default_quantity(sensor)
    method = method or ("offset" if quantity == "temperature_c" else "gain")
    if samples < 1:
        raise CalibrationError("samples must be >= 1")
    check_reference(reference_value, method, force=force)
    try:
        truth = hw.truth(sensor, quantity) if reference_value is None else None
        bench = hw.open_bench(raw=True)
        reader = hw.sensor_reader(bench, sensor, quantity)
    except (KeyError, RuntimeError) as exc:  # not on this bench; no simulation to ask
        raise CalibrationError(str(exc.args[0]) if exc.args else str(exc)) from None
    readings: list[float] = []
    references: list[float] = []
    with hw.stimulus(bench, sensor, quantity, known_load_a):
        for _ in range(samples):
            readings.append(float(reader()))
            references.append(float(truth()) if truth is not None else float(reference_value or 0))
            hw.clock.sleep(interval_s)
    label = reference or ("simulation ground truth" if truth is not None else "reference")
    cal = make_calibration(
        station=hw.config.station_id,
        sensor=sensor,
        quantity=quantity,
        readings=readings,
        references=references,
        reference=label,
        reference_uncertainty=reference_uncertainty,
        method=method,
    )
    check_gain(cal, gain_range or hw.config.calibration.gain_range, force=force)
    if store:
        cal = CalibrationStore(hw.config.calibration_path).add(cal)
    return cal


def run_task(hw: Any) -> Any:
    """Run the station's task once (unmarked) and return the ProcedureResult."""
    from firmware_py.procedures import PROCEDURES

    task = hw.config.task
    bench = hw.open_bench()
    procedure = PROCEDURES[task.procedure](bench, task, hw.clock, lambda phase, values: None)
    return procedure.run()


def store_golden(hw: Any, tolerance: float = 0.03) -> GoldenReference:
    """Run the task on the golden assembly and store its values as the reference."""
    result = run_task(hw)
    if result.outcome.value != "pass":
        raise GoldenNotPassed(
            f"the golden assembly did not pass ({result.outcome.value}: {result.reason}); "
            "nothing stored"
        )
    golden = golden_from(
        hw.config.task.id,
        hw.config.station_id,
        result.measurements,
        result.calibrations,
        tolerance,
    )
    GoldenStore(hw.config.golden_path).put(golden)
    return golden


def self_test(hw: Any) -> SelfTestReport:
    """Run the task on the golden assembly and compare with its stored values."""
    golden = GoldenStore(hw.config.golden_path).get(hw.config.task.id)
    if golden is None:
        raise GoldenNotPassed(
            f"no golden values for task {hw.config.task.id!r} in {hw.config.golden_path}: "
            "run 'benchscore calibrate golden' with the golden assembly first"
        )
    result = run_task(hw)
    checks = compare_golden(golden, result.measurements)
    ok = result.outcome.value == "pass" and all(c.ok for c in checks)
    return SelfTestReport(ok, result.outcome.value, result.reason, checks)
