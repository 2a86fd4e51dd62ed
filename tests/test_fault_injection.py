"""Fault injection on the simulated bus, seen through the real drivers (INA226, BH1750)."""

from __future__ import annotations

import errno

import pytest

from benchscore.clock import SimClock
from benchscore.sim.assemblies.led import LEDAssembly, LEDJig
from benchscore.sim.chips.bh1750 import SimBH1750
from benchscore.sim.chips.ina226 import SimINA226
from benchscore.sim.faults import FaultyDevice, inject, remove
from benchscore.sim.i2c import SimI2CBus
from drivers.bh1750 import BH1750, Mode
from drivers.errors import BusError, ReadingOutOfRange
from drivers.ina226 import INA226

INA, LUX = 0x40, 0x23
SHUNT_OHM = 0.1


class Bench:
    """A jig with an INA226 and a BH1750 on a simulated bus, and their drivers."""

    def __init__(self, *, noise_lx: float = 0.0) -> None:
        self.clock = SimClock()
        self.bus = SimI2CBus(record=True)
        self.on = True
        self.jig = LEDJig(LEDAssembly(), power_on=lambda: self.on)
        self.noise_lx = noise_lx
        self.ina_chip = SimINA226(self.clock, shunt_ohm=SHUNT_OHM, source=self.jig.electrical)
        self.bus.attach(INA, self.ina_chip)
        self.bus.attach(LUX, self.new_bh1750())
        self.ina = INA226(self.bus, INA, shunt_ohm=SHUNT_OHM, max_current_a=0.8, clock=self.clock)
        self.lux = BH1750(self.bus, LUX, clock=self.clock)
        self.clock.sleep(0.01)  # the INA226 runs continuous conversions from power-on

    def new_bh1750(self) -> SimBH1750:
        return SimBH1750(self.clock, source=self.jig.illuminance_lx, noise_lx=self.noise_lx)

    def read_lux(self) -> float:
        self.clock.sleep(0.13)  # one continuous-mode measurement further on
        return self.lux.measure_lx()


# --- wrapping -------------------------------------------------------------------------------


def test_wrapper_is_transparent_until_a_fault_is_set() -> None:
    bench = Bench()
    before = (bench.ina.read(), bench.read_lux())
    faulty = inject(bench.bus, INA, clock=bench.clock)
    assert isinstance(bench.bus.devices[INA], FaultyDevice)
    assert faulty.device is bench.ina_chip
    assert inject(bench.bus, INA) is faulty  # wrapping twice gives the same wrapper
    assert (bench.ina.read(), bench.read_lux()) == before
    assert faulty.transactions > 0 and faulty.nacks == 0
    assert remove(bench.bus, INA) is bench.ina_chip
    assert bench.bus.devices[INA] is bench.ina_chip
    with pytest.raises(LookupError, match="0x41"):
        inject(bench.bus, 0x41)
    with pytest.raises(LookupError, match="0x40"):
        remove(bench.bus, INA)


# --- NACK -----------------------------------------------------------------------------------


def test_nack_names_device_address_register_and_errno() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA)
    faulty.nack_next()
    with pytest.raises(BusError) as caught:
        bench.ina.read()
    err = caught.value
    assert err.errno == errno.EREMOTEIO == 121
    assert (err.device, err.address, err.register) == ("INA226", INA, 0x00)
    assert str(err).startswith("INA226 at 0x40 register 0x00: [Errno 121]")
    assert bench.ina.read().current_a == pytest.approx(0.2988, abs=1e-3)  # the next one works
    assert faulty.nacks == 1


def test_a_nacked_write_never_reaches_the_chip() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA)
    config = bench.ina_chip.register(0x00)
    faulty.nack_next()
    with pytest.raises(BusError):
        bench.ina.config = 0x4000  # power-down, had it arrived
    assert bench.ina_chip.register(0x00) == config


def test_nack_next_n_transactions_of_a_bh1750() -> None:
    bench = Bench()
    faulty = inject(bench.bus, LUX)
    faulty.nack_next(3)
    for _ in range(3):
        with pytest.raises(BusError, match=r"^BH1750 at 0x23: \[Errno 121\]") as caught:
            bench.read_lux()
        assert caught.value.register is None  # the BH1750 has no registers
    assert bench.read_lux() == pytest.approx(2856.4, abs=1.5)


def nack_pattern(seed: int, n: int = 200) -> list[bool]:
    bench = Bench()
    faulty = inject(bench.bus, INA, seed=seed)
    faulty.nack_randomly(0.3)
    failed = []
    for _ in range(n):
        try:
            _ = bench.ina.raw_bus_voltage  # one transaction
            failed.append(False)
        except BusError:
            failed.append(True)
    assert faulty.nacks == sum(failed)
    return failed


def test_random_nacks_follow_the_probability_and_the_seed() -> None:
    first = nack_pattern(seed=7)
    assert 40 <= sum(first) <= 80  # p = 0.3 of 200
    assert nack_pattern(seed=7) == first
    assert nack_pattern(seed=8) != first


def test_nack_storm_ends_after_its_duration() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA, clock=bench.clock)
    faulty.nack_storm(0.5)
    t0 = bench.clock.monotonic()
    failures = 0
    while bench.clock.monotonic() < t0 + 0.49:
        with pytest.raises(BusError):
            bench.ina.read()
        failures += 1
        bench.clock.sleep(0.05)
    assert failures == 10
    bench.clock.sleep(0.02)
    assert bench.ina.read().bus_voltage_v == pytest.approx(11.985, abs=0.01)


def test_scheduled_partial_storm() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA, clock=bench.clock, seed=3)
    start = bench.clock.monotonic() + 1.0
    faulty.nack_storm(1.0, start_s=start, probability=0.5)
    outcomes = []
    for _ in range(60):
        try:
            _ = bench.ina.raw_current
            outcomes.append(True)
        except BusError:
            outcomes.append(False)
        bench.clock.sleep(0.05)
    before, during, after = outcomes[:20], outcomes[20:40], outcomes[40:]
    assert all(before) and all(after)
    assert 3 <= during.count(False) <= 17


def test_storms_need_a_clock() -> None:
    faulty = inject(Bench().bus, INA)
    with pytest.raises(ValueError, match="clock"):
        faulty.nack_storm(1.0)


# --- bad data -------------------------------------------------------------------------------


def stuck_run(values: list[float], window: int = 4) -> bool:
    """A noisy sensor never repeats itself exactly: ``window`` equal readings mean stuck."""
    return any(len(set(values[i : i + window])) == 1 for i in range(len(values) - window + 1))


def test_stuck_reading_is_detectable() -> None:
    bench = Bench(noise_lx=2.0)
    faulty = inject(bench.bus, LUX)
    healthy = [bench.read_lux() for _ in range(8)]
    assert not stuck_run(healthy)
    faulty.stick()
    frozen = [bench.read_lux() for _ in range(4)]
    bench.on = False  # the assembly goes dark...
    frozen += [bench.read_lux() for _ in range(4)]
    assert frozen == [healthy[-1]] * 8  # ...and the sensor still says it is lit
    assert stuck_run(frozen)
    faulty.stick(False)
    assert bench.read_lux() == pytest.approx(3.0, abs=8.0)  # ambient only


def test_stuck_power_monitor_keeps_each_register() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA)
    lit = bench.ina.read()
    faulty.stick()
    bench.on = False
    bench.clock.sleep(0.01)
    assert bench.ina.read() == lit  # bus voltage, current, power: each its own last value
    faulty.stick(False)
    bench.clock.sleep(0.01)
    assert bench.ina.read().current_a == 0.0


def test_all_ff_saturates_the_bh1750() -> None:
    bench = Bench()
    faulty = inject(bench.bus, LUX)
    faulty.out_of_range()
    with pytest.raises(ReadingOutOfRange, match="saturated"):
        bench.read_lux()
    faulty.out_of_range(None)
    assert bench.read_lux() == pytest.approx(2856.4, abs=1.5)


def test_out_of_range_power_monitor_values_are_implausible() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA)
    faulty.out_of_range(b"\xff", registers={0x02})  # bus voltage only
    reading = bench.ina.read()
    assert reading.bus_voltage_v > 36.0  # beyond the INA226's 36 V input range
    assert reading.current_a == pytest.approx(0.2988, abs=1e-3)
    faulty.out_of_range(b"\x7f\xff", registers={0x04})  # current at positive full scale
    assert bench.ina.read().current_a == pytest.approx(32767 * bench.ina.current_lsb_a)
    with pytest.raises(ValueError, match="empty"):
        faulty.out_of_range(b"")


# --- unplug and replug ----------------------------------------------------------------------


def test_unplug_and_replug_at_clock_times_with_a_fresh_chip() -> None:
    bench = Bench()
    faulty = inject(bench.bus, LUX, clock=bench.clock, fresh=bench.new_bh1750)
    original = faulty.device
    t0 = bench.clock.monotonic()
    faulty.unplug(at_s=t0 + 1.0, replug_at_s=t0 + 2.0)
    assert bench.read_lux() == pytest.approx(2856.4, abs=1.5)
    assert faulty.plugged
    bench.clock.sleep(1.0)
    assert not faulty.plugged
    with pytest.raises(BusError) as caught:
        bench.read_lux()
    assert caught.value.errno == errno.EREMOTEIO
    bench.clock.sleep(1.0)
    # The sensor came back at power-on state: powered down, data register 0 ...
    assert bench.read_lux() == 0.0
    assert faulty.device is not original
    # ... until the station opens it again, as it does after a bench fault.
    reopened = BH1750(bench.bus, LUX, clock=bench.clock)
    bench.clock.sleep(0.13)
    assert reopened.measure_lx() == pytest.approx(2856.4, abs=1.5)


def test_unplug_now_and_replug_without_losing_state() -> None:
    bench = Bench()
    faulty = inject(bench.bus, LUX)
    faulty.unplug()
    with pytest.raises(BusError):
        bench.read_lux()
    faulty.replug()
    assert bench.read_lux() == pytest.approx(2856.4, abs=1.5)  # same chip, still configured
    with pytest.raises(ValueError, match="clock"):
        faulty.unplug(at_s=5.0)


def test_one_time_mode_driver_through_an_unplug() -> None:
    bench = Bench()
    faulty = inject(bench.bus, LUX, clock=bench.clock, fresh=bench.new_bh1750)
    sensor = BH1750(bench.bus, LUX, mode=Mode.ONE_TIME_HIGH_RES, clock=bench.clock)
    faulty.unplug()
    with pytest.raises(BusError):
        sensor.measure_lx()
    faulty.replug()
    # a one-time measurement sends its mode opcode each time, so a fresh chip just works
    assert sensor.measure_lx() == pytest.approx(2856.4, abs=1.5)


def test_clear_turns_every_fault_off() -> None:
    bench = Bench()
    faulty = inject(bench.bus, INA, clock=bench.clock)
    faulty.nack_next(5)
    faulty.nack_randomly(1.0)
    faulty.nack_storm(10.0)
    faulty.out_of_range()
    faulty.stick()
    faulty.unplug()
    faulty.clear()
    assert bench.ina.read().current_a == pytest.approx(0.2988, abs=1e-3)
    assert faulty.nacks == 0
