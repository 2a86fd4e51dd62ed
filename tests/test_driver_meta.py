"""Conventions every I2C driver keeps (a meta-test, as PyMeasure has for its instruments):
context manager, idempotent close, bus errors that name device, address and register, and a
clear error when nothing answers at the address."""

from __future__ import annotations

import inspect
import pkgutil
import re
from collections.abc import Callable
from typing import Any

import pytest

import drivers
from benchscore.clock import SimClock
from benchscore.sim.chips.ads1x15 import SimADS1015, SimADS1115
from benchscore.sim.chips.as7341 import SimAS7341
from benchscore.sim.chips.bh1750 import SimBH1750
from benchscore.sim.chips.ina219 import SimINA219
from benchscore.sim.chips.ina226 import SimINA226
from benchscore.sim.chips.ina260 import SimINA260
from benchscore.sim.chips.mcp23017 import SimMCP23017
from benchscore.sim.chips.tca9548a import SimTCA9548A
from benchscore.sim.chips.tcs34725 import SimTCS34725
from benchscore.sim.chips.tsl2591 import SimTSL2591
from benchscore.sim.chips.veml7700 import SimVEML7700
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec
from drivers.ads1x15 import ADS1015, ADS1115
from drivers.as7341 import AS7341
from drivers.bh1750 import BH1750
from drivers.errors import BusError
from drivers.ina219 import INA219
from drivers.ina226 import INA226
from drivers.ina260 import INA260
from drivers.mcp23017 import MCP23017
from drivers.registers import I2CDevice
from drivers.tca9548a import TCA9548A
from drivers.tcs34725 import TCS34725
from drivers.tsl2591 import TSL2591
from drivers.veml7700 import VEML7700


def POWER() -> tuple[float, float]:  # noqa: N802 - a constant source
    return (5.0, 0.5)


def LIGHT() -> LightSpec:  # noqa: N802 - a constant source
    return LightSpec(300.0, 4000.0)


# driver class -> (address, simulated chip factory, driver factory, one reading)
Case = tuple[int, Callable[[SimClock, SimI2CBus], Any], Callable[..., Any], Callable[[Any], Any]]
CASES: dict[str, Case] = {
    "INA219": (
        0x40,
        lambda c, b: SimINA219(c, POWER),
        lambda b, c: INA219(b, clock=c),
        lambda d: d.bus_voltage_v,
    ),
    "INA226": (
        0x40,
        lambda c, b: SimINA226(c, shunt_ohm=0.02, source=POWER),
        lambda b, c: INA226(b, shunt_ohm=0.02, max_current_a=3.0, clock=c),
        lambda d: d.current_a,
    ),
    "INA260": (
        0x40,
        lambda c, b: SimINA260(c, POWER),
        lambda b, c: INA260(b, clock=c),
        lambda d: d.current_a,
    ),
    "BH1750": (
        0x23,
        lambda c, b: SimBH1750(c, source=lambda: 300.0),
        lambda b, c: BH1750(b, clock=c),
        lambda d: d.raw_counts,
    ),
    "TSL2591": (
        0x29,
        lambda c, b: SimTSL2591(c, source=LIGHT),
        lambda b, c: TSL2591(b, clock=c),
        lambda d: d.read_counts(),
    ),
    "VEML7700": (
        0x10,
        lambda c, b: SimVEML7700(c, source=LIGHT),
        lambda b, c: VEML7700(b, clock=c),
        lambda d: d.read_counts(),
    ),
    "TCS34725": (
        0x29,
        lambda c, b: SimTCS34725(c, source=LIGHT),
        lambda b, c: TCS34725(b, clock=c),
        lambda d: d.read_counts(),
    ),
    "AS7341": (
        0x39,
        lambda c, b: SimAS7341(c, source=LIGHT),
        lambda b, c: AS7341(b, clock=c),
        lambda d: d.read_counts(),
    ),
    "ADS1115": (
        0x48,
        lambda c, b: SimADS1115(c, lambda ch, t: 0.5),
        lambda b, c: ADS1115(b, clock=c),
        lambda d: d.read_voltage_v(0),
    ),
    "ADS1015": (
        0x48,
        lambda c, b: SimADS1015(c, lambda ch, t: 0.5),
        lambda b, c: ADS1015(b, clock=c),
        lambda d: d.read_voltage_v(0),
    ),
    "MCP23017": (
        0x20,
        lambda c, b: SimMCP23017(),
        lambda b, c: MCP23017(b),
        lambda d: d.read_inputs(),
    ),
    "TCA9548A": (
        0x70,
        lambda c, b: SimTCA9548A(b),
        lambda b, c: TCA9548A(b),
        lambda d: d.selected_mask,
    ),
}


def all_i2c_driver_classes() -> set[str]:
    found = set()
    for info in pkgutil.iter_modules(drivers.__path__):
        module = __import__(f"drivers.{info.name}", fromlist=["_"])
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, I2CDevice)
                and obj.__module__ == module.__name__
                and obj is not I2CDevice
                and not name.endswith("x15")
                and name != "PCA9546A"
            ):
                found.add(name)
    return found


def test_every_i2c_driver_is_covered_here() -> None:
    assert all_i2c_driver_classes() == set(CASES)


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[str, Case]:
    return request.param, CASES[request.param]


def build(case: tuple[str, Case]) -> tuple[Any, SimI2CBus, int, Callable[[Any], Any]]:
    name, (addr, chip, make, read) = case
    clock = SimClock()
    bus = SimI2CBus()
    device = chip(clock, bus)
    if name != "TCA9548A":  # the mux sim puts itself on the parent bus
        bus.attach(addr, device)
    return make(bus, clock), bus, addr, read


def test_context_manager_and_idempotent_close(case: tuple[str, Case]) -> None:
    driver, _, _, read = build(case)
    with driver as d:
        read(d)
        assert not d.closed
    assert driver.closed
    driver.close()  # a second close does nothing and raises nothing


def test_close_of_an_unplugged_sensor_does_not_raise(case: tuple[str, Case]) -> None:
    driver, bus, addr, _ = build(case)
    bus.nack_addresses.add(addr)
    driver.close()
    assert driver.closed


def test_bus_error_names_device_address_and_register(case: tuple[str, Case]) -> None:
    name, _ = case
    driver, bus, addr, read = build(case)
    bus.nack_addresses.add(addr)
    with pytest.raises(BusError) as info:
        read(driver)
    message = str(info.value)
    assert info.value.errno == 121
    assert name in message and f"0x{addr:02X}" in message
    if name not in ("BH1750", "TCA9548A"):  # no register map: opcodes, a control byte
        assert re.search(r"register 0x[0-9A-F]{2}", message), message


def test_nothing_at_the_address_is_a_clear_error(case: tuple[str, Case]) -> None:
    name, (addr, _, make, read) = case
    with pytest.raises(BusError, match=f"{name} at 0x{addr:02X}"):
        read(make(SimI2CBus(), SimClock()))
