"""TSL2591 driver against the simulated chip: wire bytes, lux, saturation, timing, faults."""

from __future__ import annotations

import errno

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.tcs34725 import SimTCS34725
from benchscore.sim.chips.tsl2591 import SimTSL2591
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec
from drivers.errors import BusError, DeviceMismatch, ReadingOutOfRange
from drivers.tsl2591 import (
    TSL2591,
    Gain,
    IntegrationTime,
    counts_per_lux,
    lux_from_counts,
    max_count,
)


class Light:
    """A light whose level the test changes."""

    def __init__(self, value: LightSpec | float) -> None:
        self.value = value

    def __call__(self) -> LightSpec | float:
        return self.value


def rig(
    light: LightSpec | float = 320.0, **sim_options: object
) -> tuple[SimI2CBus, SimClock, SimTSL2591, Light]:
    clock = SimClock()
    bus = SimI2CBus(record=True)
    source = Light(light)
    sim = SimTSL2591(clock, source=source, **sim_options)  # type: ignore[arg-type]
    bus.attach(0x29, sim)
    return bus, clock, sim, source


def wire(bus: SimI2CBus) -> list[str]:
    out = [str(e) for e in bus.trace]
    bus.trace.clear()
    return out


def test_init_checks_id_sets_gain_and_time_then_enables() -> None:
    bus, clock, sim, _ = rig()
    TSL2591(bus, clock=clock)
    assert wire(bus) == [
        "w 0x29 [b2]",  # 0xA0 | ID (0x12)
        "r 0x29 [50]",
        "w 0x29 [a1 10]",  # CONTROL: AGAIN medium (25x), ATIME 100 ms
        "w 0x29 [a0 03]",  # ENABLE: PON | AEN
    ]


def test_init_with_high_gain_and_300_ms() -> None:
    bus, clock, sim, _ = rig()
    TSL2591(bus, gain=Gain.HIGH, integration_time=IntegrationTime.MS_300, clock=clock)
    assert wire(bus)[2:] == ["w 0x29 [a1 22]", "w 0x29 [a0 03]"]
    assert sim.gain == 428.0
    assert sim.integration_time_s == pytest.approx(0.3)


def test_reading_waits_for_the_integration_then_checks_avalid_and_reads_one_block() -> None:
    bus, clock, sim, _ = rig()
    sensor = TSL2591(bus, clock=clock)
    wire(bus)
    sensor.read_counts()
    c0, c1 = sim.counts
    assert wire(bus) == [
        "w 0x29 [b3]",  # STATUS
        "r 0x29 [01]",  # AVALID
        "w 0x29 [b4]",  # C0DATAL, auto-increment through C1DATAH
        f"r 0x29 [{(c0.to_bytes(2, 'little') + c1.to_bytes(2, 'little')).hex(' ')}]",
    ]
    assert clock.monotonic() >= 0.1


def test_lux_formula_worked_example() -> None:
    # C0 = 1000, C1 = 200 at 25x, 100 ms: CPL = 100*25/408 = 6.1275
    # lux = (1000 - 200) * (1 - 200/1000) / CPL = 640 / 6.1275 = 104.448
    assert counts_per_lux(Gain.MEDIUM, IntegrationTime.MS_100) == pytest.approx(2500 / 408)
    assert lux_from_counts(1000, 200, Gain.MEDIUM, IntegrationTime.MS_100) == pytest.approx(
        104.448, abs=1e-3
    )
    # 428x, 600 ms: CPL = 629.41; same counts give 1.0168 lx
    assert lux_from_counts(1000, 200, Gain.HIGH, IntegrationTime.MS_600) == pytest.approx(
        640 / (600 * 428 / 408)
    )
    assert lux_from_counts(0, 0, Gain.MEDIUM, IntegrationTime.MS_100) == 0.0


def test_lux_worked_example_through_the_wire() -> None:
    bus, clock, sim, _ = rig()
    sim.forced_counts = (1000, 200)
    sensor = TSL2591(bus, clock=clock)
    wire(bus)
    assert sensor.illuminance_lx == pytest.approx(104.448, abs=1e-3)
    assert wire(bus)[-1] == "r 0x29 [e8 03 c8 00]"  # C0 = 0x03E8, C1 = 0x00C8, LSB first


@pytest.mark.parametrize(
    ("light", "gain"),
    [
        (LightSpec(2.0, 4000.0), Gain.HIGH),
        (LightSpec(320.0, 2700.0), Gain.MEDIUM),
        (LightSpec(320.0, 6500.0), Gain.MEDIUM),
        (LightSpec(150.0, 2700.0, "blackbody"), Gain.MEDIUM),
        (LightSpec(20000.0, 5000.0), Gain.LOW),
    ],
)
def test_recovers_illuminance(light: LightSpec, gain: Gain) -> None:
    bus, clock, sim, _ = rig(light)
    sensor = TSL2591(bus, gain=gain, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(light.illuminance_lx, rel=0.005)
    c0, c1 = sim.counts
    assert 0 < c1 < c0  # IR is part of the full-spectrum channel


def test_saturation_at_100_ms_is_36863() -> None:
    bus, clock, sim, _ = rig(100_000.0)
    sensor = TSL2591(bus, clock=clock)
    with pytest.raises(ReadingOutOfRange, match=r"TSL2591 at 0x29: saturated .*limit 36863"):
        _ = sensor.illuminance_lx
    assert sim.counts[0] == 36863 == max_count(IntegrationTime.MS_100)


def test_saturation_above_100_ms_is_65535() -> None:
    bus, clock, sim, _ = rig(100_000.0)
    sensor = TSL2591(bus, integration_time=IntegrationTime.MS_200, clock=clock)
    counts = sensor.read_counts()
    assert counts.full_spectrum == 65535 == max_count(IntegrationTime.MS_200)
    with pytest.raises(ReadingOutOfRange, match="limit 65535"):
        sensor.check(counts)


def test_absent_sensor_is_a_bus_error_121_naming_device_and_register() -> None:
    bus, clock = SimI2CBus(), SimClock()
    with pytest.raises(BusError) as info:
        TSL2591(bus, clock=clock)
    assert info.value.errno == errno.EREMOTEIO == 121
    assert "TSL2591 at 0x29 register 0x12" in str(info.value)


def test_wrong_id_is_a_device_mismatch_naming_address_and_id() -> None:
    bus, clock, _, _ = rig(chip_id=0x51)
    with pytest.raises(DeviceMismatch, match=r"TSL2591 at 0x29: ID register 0x12 reads 0x51"):
        TSL2591(bus, clock=clock)


def test_a_tcs34725_at_0x29_is_not_taken_for_a_tsl2591() -> None:
    clock, bus = SimClock(), SimI2CBus()
    bus.attach(0x29, SimTCS34725(clock, source=lambda: 100.0))
    with pytest.raises(DeviceMismatch, match="reads 0x44"):
        TSL2591(bus, clock=clock)


def test_sim_data_is_stale_until_the_integration_completes() -> None:
    bus, clock, sim, light = rig(320.0)
    bus.write_byte_data(0x29, 0xA1, 0x10)
    bus.write_byte_data(0x29, 0xA0, 0x03)
    assert bus.read_i2c_block_data(0x29, 0xB4, 4) == [0, 0, 0, 0]
    assert bus.read_byte_data(0x29, 0xB3) & 0x01 == 0
    clock.advance(0.099)
    assert bus.read_i2c_block_data(0x29, 0xB4, 4) == [0, 0, 0, 0]
    clock.advance(0.002)
    assert bus.read_byte_data(0x29, 0xB3) & 0x01 == 1
    first = bus.read_i2c_block_data(0x29, 0xB4, 4)
    assert first != [0, 0, 0, 0]
    light.value = 640.0
    clock.advance(0.05)  # mid-cycle: still the previous cycle's counts
    assert bus.read_i2c_block_data(0x29, 0xB4, 4) == first
    clock.advance(0.05)
    second = bus.read_i2c_block_data(0x29, 0xB4, 4)
    assert int.from_bytes(bytes(second[:2]), "little") == pytest.approx(
        2 * int.from_bytes(bytes(first[:2]), "little"), abs=1
    )


def test_reading_c0_low_byte_latches_c1_from_the_same_cycle() -> None:
    bus, clock, sim, light = rig(320.0)
    bus.write_byte_data(0x29, 0xA1, 0x10)
    bus.write_byte_data(0x29, 0xA0, 0x03)
    clock.advance(0.1)
    c0 = bus.read_word_data(0x29, 0xB4)
    expected_c1 = sim.counts[1]
    light.value = 1000.0
    clock.advance(0.1)  # a new cycle completes with different counts
    assert sim.counts[1] != expected_c1
    assert c0 > 0
    assert bus.read_word_data(0x29, 0xB6) == expected_c1  # from the shadow


def test_driver_polls_avalid_when_the_chip_runs_slow() -> None:
    bus, clock, sim, _ = rig(320.0, oscillator_error=0.3)  # 130 ms per cycle
    sensor = TSL2591(bus, clock=clock)
    wire(bus)
    assert sensor.illuminance_lx == pytest.approx(320.0, rel=0.005)
    events = wire(bus)
    assert events[:2] == ["w 0x29 [b3]", "r 0x29 [00]"]  # not ready at 110 ms: poll again
    assert events[-4:-2] == ["w 0x29 [b3]", "r 0x29 [01]"]
    assert clock.monotonic() >= 0.13


def test_each_reading_is_a_fresh_cycle() -> None:
    bus, clock, sim, light = rig(100.0)
    sensor = TSL2591(bus, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(100.0, rel=0.005)
    t1 = clock.monotonic()
    light.value = 200.0
    assert sensor.illuminance_lx == pytest.approx(200.0, rel=0.005)
    assert clock.monotonic() - t1 >= 0.1


def test_changing_gain_restarts_the_als_with_the_new_setting() -> None:
    bus, clock, sim, _ = rig(20.0)
    sensor = TSL2591(bus, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(20.0, rel=0.01)
    wire(bus)
    sensor.gain = Gain.HIGH
    assert wire(bus) == ["w 0x29 [a0 01]", "w 0x29 [a1 20]", "w 0x29 [a0 03]"]
    assert sensor.illuminance_lx == pytest.approx(20.0, rel=0.001)
    assert sensor.read_counts().full_spectrum > 20 * 428 * 100 / 408  # 428x counts


def test_changing_integration_time() -> None:
    bus, clock, sim, _ = rig(50.0)
    sensor = TSL2591(bus, clock=clock)
    wire(bus)
    sensor.integration_time = IntegrationTime.MS_600
    assert wire(bus) == ["w 0x29 [a0 01]", "w 0x29 [a1 15]", "w 0x29 [a0 03]"]
    start = clock.monotonic()
    assert sensor.illuminance_lx == pytest.approx(50.0, rel=0.005)
    assert clock.monotonic() - start >= 0.6


def test_close_powers_down_once_and_context_manager() -> None:
    bus, clock, sim, _ = rig()
    with TSL2591(bus, clock=clock) as sensor:
        wire(bus)
    assert wire(bus) == ["w 0x29 [a0 00]"]
    assert sim.regs[0x00] == 0x00
    sensor.close()
    assert wire(bus) == []
    assert sensor.closed


def test_close_of_an_unplugged_sensor_does_not_raise() -> None:
    bus, clock, _, _ = rig()
    sensor = TSL2591(bus, clock=clock)
    bus.detach(0x29)
    sensor.close()
    assert sensor.closed


def test_sim_noise_is_seeded() -> None:
    readings = []
    for seed in (1, 1, 2):
        bus, clock, sim, _ = rig(320.0, noise_fraction=0.01, seed=seed)
        readings.append(TSL2591(bus, clock=clock).read_counts())
    assert readings[0] == readings[1]
    assert readings[0] != readings[2]


def test_sim_ignores_a_byte_without_the_command_bit() -> None:
    bus, clock, sim, _ = rig()
    TSL2591(bus, clock=clock)
    bus.write_byte_data(0x29, 0x01, 0x30)  # CONTROL without 0xA0: ignored
    assert sim.regs[0x01] == 0x10
    bus.write_byte(0x29, 0xE7)  # special function: clear interrupts, pointer unchanged
    assert bus.read_byte(0x29) == sim.regs[0x01]
