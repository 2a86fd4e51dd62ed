"""Conventions every serial instrument driver keeps (after pymeasure's test_all_instruments).

- Every property's docstring begins with Control, Measure, Get or Set; a settable property's
  with Control or Set, a read-only one's with Measure or Get.
- A float-valued property names its unit (V, A, W, ohm, Wh, mAh, s, degrees C, ...).
- Every declarative ``control`` has a validator.
- Every driver takes the port first and ``name=``/``timeout_s=``/``clock=`` keywords, and is a
  context manager with an idempotent ``close``.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import drivers
from drivers.serial_port import Control, Instrument, Measurement, control, in_range, measurement

PREFIXES = ("Control", "Measure", "Get", "Set")
UNIT = re.compile(r"\b(V|mV|A|mA|W|mW|ohm|mOhm|Wh|Ah|mAh|s|ms|Hz|degrees C|°C)\b")
EXPECTED = {"DL3021", "DL3031", "IT8500", "KA3005P", "RD6006"}


def _serial_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(drivers.__path__):
        source = Path(drivers.__path__[0], f"{info.name}.py")
        uses_serial = source.exists() and "serial_port" in source.read_text(encoding="utf-8")
        try:
            module = importlib.import_module(f"drivers.{info.name}")
        except Exception:
            if uses_serial:
                raise
            continue  # a non-serial module someone else is still writing
        if uses_serial:
            modules.append(module)
    return modules


def _drivers() -> list[type[Instrument]]:
    found: dict[str, type[Instrument]] = {}
    for module in _serial_modules():
        for name, obj in vars(module).items():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Instrument)
                and obj is not Instrument
                and obj.__module__ == module.__name__
            ):
                found[name] = obj
    return [found[name] for name in sorted(found)]


DRIVERS = _drivers()


def _properties(cls: type) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, attr in vars(klass).items():
            if isinstance(attr, property | Measurement):
                props[name] = attr
    return props


def _is_float(attr: Any) -> bool:
    if isinstance(attr, Measurement):
        cast = attr.cast
        if cast is float:
            return True
        hints = typing.get_type_hints(cast) if inspect.isfunction(cast) else {}
        return hints.get("return") is float
    if isinstance(attr, property) and attr.fget is not None:
        return typing.get_type_hints(attr.fget).get("return") is float
    return False


def _settable(attr: Any) -> bool:
    return isinstance(attr, Control) or (isinstance(attr, property) and attr.fset is not None)


def _cases() -> list[Any]:
    return [
        pytest.param(cls, name, attr, id=f"{cls.__name__}.{name}")
        for cls in DRIVERS
        for name, attr in _properties(cls).items()
    ]


def test_every_expected_serial_driver_is_found() -> None:
    assert {cls.__name__ for cls in DRIVERS} >= EXPECTED


def _doc_problems(cls: type, name: str, attr: Any) -> list[str]:
    doc = (attr.__doc__ or "").strip()
    where = f"{cls.__name__}.{name}"
    problems = []
    if not doc.startswith(PREFIXES):
        problems.append(f"{where}: docstring does not begin with {PREFIXES}: {doc!r}")
    elif _settable(attr) and not doc.startswith(("Control", "Set")):
        problems.append(f"{where} is settable; its docstring begins otherwise: {doc!r}")
    elif not _settable(attr) and not doc.startswith(("Measure", "Get")):
        problems.append(f"{where} is read-only; its docstring begins otherwise: {doc!r}")
    if _is_float(attr) and not UNIT.search(doc):
        problems.append(f"{where} is a number without a unit: {doc!r}")
    return problems


@pytest.mark.parametrize(("cls", "name", "attr"), _cases())
def test_property_docstring_convention(cls: type, name: str, attr: Any) -> None:
    assert _doc_problems(cls, name, attr) == []


def test_the_convention_check_catches_violations() -> None:
    class Sloppy(Instrument):
        volts = measurement("V?", "The voltage.")
        amps = measurement("I?", "Measure the current.")
        level = control("L?", "L {}", "Get the level in A.", in_range(0, 1))

        @property
        def watts(self) -> float:
            """Control the power."""
            return 0.0

    found = {name: _doc_problems(Sloppy, name, attr) for name, attr in _properties(Sloppy).items()}
    assert "does not begin" in found["volts"][0] and "without a unit" in found["volts"][1]
    assert "without a unit" in found["amps"][0]
    assert "is settable" in found["level"][0]
    assert "is read-only" in found["watts"][0] and "without a unit" in found["watts"][1]
    assert found["port_name"] == found["closed"] == []


@pytest.mark.parametrize("cls", DRIVERS, ids=lambda c: c.__name__)
def test_controls_have_validators(cls: type) -> None:
    for name, attr in _properties(cls).items():
        if isinstance(attr, Control):
            assert attr.validator is not None, f"{cls.__name__}.{name} sends unvalidated values"


@pytest.mark.parametrize("cls", DRIVERS, ids=lambda c: c.__name__)
def test_driver_signature_and_lifecycle(cls: type[Instrument]) -> None:
    parameters = inspect.signature(cls.__init__).parameters
    assert list(parameters)[1] == "port"
    for keyword in ("name", "timeout_s", "clock"):
        assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY
    driver = cls("loop://", name="meta", timeout_s=0.05)
    with driver as entered:
        assert entered is driver and driver.name == "meta" and not driver.closed
    assert driver.closed
    driver.close()


def test_module_exports_exist() -> None:
    for module in _serial_modules():
        for name in getattr(module, "__all__", []):
            assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"
