"""VEML7700 driver against the simulated chip: wire bytes, resolution, lux, timing, faults."""

from __future__ import annotations

import errno
import math

import pytest

from benchscore.clock import SimClock
from benchscore.sim.chips.veml7700 import SimVEML7700, linear_lux
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec
from drivers.errors import BusError, DeviceMismatch, ReadingOutOfRange
from drivers.veml7700 import (
    VEML7700,
    Gain,
    IntegrationTime,
    als_conf,
    correct_nonlinearity,
    resolution_lx_per_count,
)


class Light:
    def __init__(self, value: LightSpec | float) -> None:
        self.value = value

    def __call__(self) -> LightSpec | float:
        return self.value


def rig(
    light: LightSpec | float = 250.0, **sim_options: object
) -> tuple[SimI2CBus, SimClock, SimVEML7700, Light]:
    clock = SimClock()
    bus = SimI2CBus(record=True)
    source = Light(light)
    sim = SimVEML7700(clock, source=source, **sim_options)  # type: ignore[arg-type]
    bus.attach(0x10, sim)
    return bus, clock, sim, source


def wire(bus: SimI2CBus) -> list[str]:
    out = [str(e) for e in bus.trace]
    bus.trace.clear()
    return out


def test_init_reads_id_and_powers_on_at_gain_1_100_ms() -> None:
    bus, clock, sim, _ = rig()
    VEML7700(bus, clock=clock)
    assert wire(bus) == [
        "w 0x10 [07]",  # ID
        "r 0x10 [81 c4]",  # 0x81, address code 0xC4, LSB first
        "w 0x10 [00 00 00]",  # ALS_CONF_0 = 0x0000: gain x1, 100 ms, ALS_SD cleared
    ]


@pytest.mark.parametrize(
    ("gain", "it", "expected"),
    [
        (Gain.X2, IntegrationTime.MS_800, "w 0x10 [00 c0 08]"),  # 0x08C0
        (Gain.X1_8, IntegrationTime.MS_25, "w 0x10 [00 00 13]"),  # 0x1300
        (Gain.X1_4, IntegrationTime.MS_50, "w 0x10 [00 00 1a]"),  # 0x1A00
    ],
)
def test_configuration_word_is_sent_lsb_first(
    gain: Gain, it: IntegrationTime, expected: str
) -> None:
    bus, clock, sim, _ = rig()
    VEML7700(bus, gain=gain, integration_time=it, clock=clock)
    assert wire(bus)[-1] == expected
    assert sim.words[0] == als_conf(gain, it)  # the chip decoded the same word
    assert sim.gain == gain.factor
    assert sim.integration_time_s == pytest.approx(it.ms / 1000)


# Datasheet resolution table (lx/count), newer revision: 0.0042 at x2 / 800 ms.
RESOLUTION_TABLE = {
    IntegrationTime.MS_800: (0.0042, 0.0084, 0.0336, 0.0672),
    IntegrationTime.MS_400: (0.0084, 0.0168, 0.0672, 0.1344),
    IntegrationTime.MS_200: (0.0168, 0.0336, 0.1344, 0.2688),
    IntegrationTime.MS_100: (0.0336, 0.0672, 0.2688, 0.5376),
    IntegrationTime.MS_50: (0.0672, 0.1344, 0.5376, 1.0752),
    IntegrationTime.MS_25: (0.1344, 0.2688, 1.0752, 2.1504),
}


@pytest.mark.parametrize("it", list(RESOLUTION_TABLE))
def test_resolution_table(it: IntegrationTime) -> None:
    gains = (Gain.X2, Gain.X1, Gain.X1_4, Gain.X1_8)
    for gain, expected in zip(gains, RESOLUTION_TABLE[it], strict=True):
        assert resolution_lx_per_count(gain, it) == pytest.approx(expected, rel=1e-12)


def test_full_scale_at_x1_8_25_ms_is_about_141_klx() -> None:
    res = resolution_lx_per_count(Gain.X1_8, IntegrationTime.MS_25)
    assert 65535 * res == pytest.approx(140_926, rel=1e-4)


def test_nonlinearity_correction_worked_example() -> None:
    # Lc(1000) = 6.0135e-13*1e12 - 9.3924e-9*1e9 + 8.1488e-5*1e6 + 1.0023*1000
    #          = 0.60135 - 9.3924 + 81.488 + 1002.3 = 1074.99695
    assert correct_nonlinearity(1000.0) == pytest.approx(1074.99695, abs=1e-5)
    assert correct_nonlinearity(0.0) == 0.0


def test_worked_example_x2_800_ms_through_the_wire() -> None:
    bus, clock, sim, _ = rig(100.0)
    sensor = VEML7700(bus, gain=Gain.X2, integration_time=IntegrationTime.MS_800, clock=clock)
    wire(bus)
    lux = sensor.illuminance_lx
    events = wire(bus)
    assert events[:2] == ["w 0x10 [04]", f"r 0x10 [{sim.counts[0].to_bytes(2, 'little').hex(' ')}]"]
    counts = sim.counts[0]
    assert counts == math.floor(linear_lux(100.0) / 0.0042)  # 23567 counts of 0.0042 lx
    assert lux == pytest.approx(correct_nonlinearity(counts * 0.0042))
    assert lux == pytest.approx(100.0, abs=0.0042 * 1.01)


def test_without_correction_the_chip_reads_its_linear_lux() -> None:
    bus, clock, sim, _ = rig(1000.0)
    sensor = VEML7700(bus, gain=Gain.X1_8, correct_nonlinearity=False, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(linear_lux(1000.0), abs=0.6)
    assert linear_lux(1000.0) < 940  # the bend the polynomial corrects


@pytest.mark.parametrize(
    ("light", "gain", "it"),
    [
        (LightSpec(0.5, 4000.0), Gain.X2, IntegrationTime.MS_800),
        (LightSpec(250.0, 3000.0), Gain.X1, IntegrationTime.MS_100),
        (LightSpec(2500.0, 6500.0), Gain.X1_4, IntegrationTime.MS_100),
        (LightSpec(30_000.0, 5000.0, "blackbody"), Gain.X1_8, IntegrationTime.MS_25),
    ],
)
def test_recovers_illuminance(light: LightSpec, gain: Gain, it: IntegrationTime) -> None:
    bus, clock, sim, _ = rig(light)
    sensor = VEML7700(bus, gain=gain, integration_time=it, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(light.illuminance_lx, rel=0.01)
    assert sensor.read_counts().white > 0


def test_saturation_raises_reading_out_of_range() -> None:
    bus, clock, sim, _ = rig(1000.0)
    sensor = VEML7700(bus, gain=Gain.X2, integration_time=IntegrationTime.MS_800, clock=clock)
    with pytest.raises(ReadingOutOfRange, match=r"VEML7700 at 0x10: ALS saturated \(65535"):
        _ = sensor.illuminance_lx
    assert sim.counts[0] == 65535


def test_absent_sensor_is_a_bus_error_121() -> None:
    bus, clock = SimI2CBus(), SimClock()
    with pytest.raises(BusError) as info:
        VEML7700(bus, clock=clock)
    assert info.value.errno == errno.EREMOTEIO
    assert "VEML7700 at 0x10 register 0x07" in str(info.value)


def test_wrong_id_is_a_device_mismatch() -> None:
    bus, clock, _, _ = rig(id_word=0xC423)
    with pytest.raises(DeviceMismatch, match=r"VEML7700 at 0x10: ID register 0x07 reads 0xC423"):
        VEML7700(bus, clock=clock)


def test_sim_starts_shut_down_and_data_is_stale_until_a_cycle_completes() -> None:
    bus, clock, sim, light = rig(250.0)
    clock.advance(1.0)
    assert bus.read_word_data(0x10, 0x00) == 0x0001  # ALS_SD set at power-up
    assert bus.read_word_data(0x10, 0x04) == 0  # shut down: no measurement
    bus.write_word_data(0x10, 0x00, 0x0000)
    clock.advance(0.099)
    assert bus.read_word_data(0x10, 0x04) == 0
    clock.advance(0.002)
    first = bus.read_word_data(0x10, 0x04)
    assert first == pytest.approx(250.0 / 0.0672 * (linear_lux(250) / 250), abs=1)
    # a configuration write restarts the cycle: the old value stays until the new one ends
    bus.write_word_data(0x10, 0x00, als_conf(Gain.X2, IntegrationTime.MS_100))
    clock.advance(0.09)
    assert bus.read_word_data(0x10, 0x04) == first
    clock.advance(0.011)
    assert bus.read_word_data(0x10, 0x04) == pytest.approx(2 * first, abs=1)


def test_driver_waits_two_integrations_after_configuring_then_one_between_readings() -> None:
    bus, clock, sim, light = rig(100.0, oscillator_error=0.05)
    sensor = VEML7700(bus, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(100.0, rel=0.002)
    assert clock.monotonic() == pytest.approx(0.22)
    light.value = 300.0
    assert sensor.illuminance_lx == pytest.approx(300.0, rel=0.002)  # fresh, not stale
    assert clock.monotonic() == pytest.approx(0.33)
    sensor.integration_time = IntegrationTime.MS_400
    start = clock.monotonic()
    assert sensor.illuminance_lx == pytest.approx(300.0, rel=0.002)
    assert clock.monotonic() - start == pytest.approx(0.88)


def test_close_shuts_the_als_down_once() -> None:
    bus, clock, sim, _ = rig()
    with VEML7700(bus, gain=Gain.X1_4, clock=clock) as sensor:
        wire(bus)
    assert wire(bus) == ["w 0x10 [00 01 18]"]  # 0x1801: gain 1/4, ALS_SD
    sensor.close()
    assert wire(bus) == []
    assert sim.words[0] & 0x0001
