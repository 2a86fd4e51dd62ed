"""AS7341 driver against the simulated chip: the two SMUX passes byte for byte, basic counts,
lux and CCT, saturation, stale data and timing, faults."""

from __future__ import annotations

import errno

import numpy as np
import pytest
from smbus2 import i2c_msg

import benchscore.sim.chips.as7341 as sim_as7341
from benchscore.clock import SimClock
from benchscore.sim.chips.as7341 import SimAS7341, basic_counts
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec
from drivers.as7341 import (
    AS7341,
    NOMINAL_XYZ_MATRIX,
    SMUX_F1_F4,
    SMUX_F5_F8,
    Gain,
    SpectralCounts,
    cct_mccamy,
    fit_xyz_matrix,
    full_scale,
    integration_time_s,
)
from drivers.errors import BusError, DeviceMismatch, ReadingOutOfRange

PASS_A_RAM = "00 30 01 00 00 00 42 00 00 50 00 00 00 20 04 00 30 01 50 00 06"
PASS_B_RAM = "00 00 00 00 40 02 00 10 03 50 10 03 00 00 00 24 00 00 50 00 06"


class Light:
    def __init__(self, value: LightSpec | float) -> None:
        self.value = value

    def __call__(self) -> LightSpec | float:
        return self.value


WHITE_300_LX = LightSpec(300.0, 4000.0)


def rig(
    light: LightSpec | float = WHITE_300_LX, **sim_options: object
) -> tuple[SimI2CBus, SimClock, SimAS7341, Light]:
    clock = SimClock()
    bus = SimI2CBus(record=True)
    source = Light(light)
    sim = SimAS7341(clock, source=source, **sim_options)  # type: ignore[arg-type]
    bus.attach(0x39, sim)
    return bus, clock, sim, source


def wire(bus: SimI2CBus) -> list[str]:
    out = [str(e) for e in bus.trace]
    bus.trace.clear()
    return out


def test_init_wire_bytes() -> None:
    bus, clock, sim, _ = rig()
    AS7341(bus, clock=clock)
    assert wire(bus) == [
        "w 0x39 [92]",  # ID
        "r 0x39 [24]",  # bits 7:2 = 0b001001
        "w 0x39 [80 01]",  # ENABLE: PON
        "w 0x39 [81 64]",  # ATIME 100
        "w 0x39 [ca e7 03]",  # ASTEP 999, little-endian
        "w 0x39 [aa 05]",  # CFG1: AGAIN 16x
    ]
    assert sim.integration_time_s == pytest.approx(0.28078)


def test_smux_ram_bytes_are_the_documented_passes() -> None:
    assert SMUX_F1_F4.hex(" ") == PASS_A_RAM[3:]
    assert SMUX_F5_F8.hex(" ") == PASS_B_RAM[3:]
    assert len(SMUX_F1_F4) == len(SMUX_F5_F8) == 20


def test_two_smux_passes_on_the_wire() -> None:
    bus, clock, sim, _ = rig()
    sensor = AS7341(bus, clock=clock)
    wire(bus)
    sensor.read_counts()
    events = wire(bus)
    one_pass = [
        "w 0x39 [80 01]",  # 1. SP_EN off
        "w 0x39 [af 10]",  # 2. CFG6: SMUX_CMD = 2 (write from RAM)
        None,  # 3. the 20 RAM bytes from 0x00
        "w 0x39 [80 11]",  # 4. SMUXEN
        "w 0x39 [80]",
        "r 0x39 [11]",  #    still running
        "w 0x39 [80]",
        "r 0x39 [01]",  #    done: SMUXEN cleared by the chip
        "w 0x39 [80 03]",  # 5. SP_EN
        "w 0x39 [a3]",  #    STATUS2 after the integration time
        "r 0x39 [40]",  #    AVALID
        "w 0x39 [94]",  #    ASTATUS + CH0..CH5 in one block
    ]
    assert len(events) == 2 * (len(one_pass) + 1)
    for half, ram in ((events[:13], PASS_A_RAM), (events[13:], PASS_B_RAM)):
        expected = [e if e is not None else f"w 0x39 [{ram}]" for e in one_pass]
        assert half[:12] == expected
        assert half[12].startswith("r 0x39 [") and len(half[12]) == len("r 0x39 []") + 13 * 3 - 1
    assert clock.monotonic() >= 2 * 0.28078


def test_the_smux_bytes_connect_the_documented_photodiodes() -> None:
    bus, clock, sim, _ = rig()
    AS7341(bus, clock=clock).read_counts()
    # after pass B; halves of split photodiodes share one ADC, NIR is a single diode
    assert [sorted(d) for d in sim.adc_inputs()] == [
        ["f5", "f5"],
        ["f6", "f6"],
        ["f7", "f7"],
        ["f8", "f8"],
        ["clear", "clear"],
        ["nir"],
    ]
    bus.write_byte_data(0x39, 0x80, 0x01)
    bus.write_i2c_block_data(0x39, 0x00, list(SMUX_F1_F4))
    bus.write_byte_data(0x39, 0x80, 0x11)
    clock.advance(0.001)
    assert [sorted(d) for d in sim.adc_inputs()] == [
        ["f1", "f1"],
        ["f2", "f2"],
        ["f3", "f3"],
        ["f4", "f4"],
        ["clear", "clear"],
        ["nir"],
    ]


def test_counts_come_from_the_right_pass() -> None:
    light = LightSpec(300.0, 4000.0)
    bus, clock, sim, _ = rig(light)
    counts = AS7341(bus, clock=clock).read_counts()
    basic = basic_counts(light)
    scale = 16 * 280.78
    for name in ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "clear", "nir"):
        assert counts.raw[name] == int(basic[name] * scale), name
    assert counts.full_scale == 65535
    assert counts.integration_time_ms == pytest.approx(280.78)


def test_basic_counts_worked_example() -> None:
    # raw 10000 at 16x and (100+1)(999+1)·2.78 µs = 280.78 ms: 10000/(16·280.78) = 2.22594
    assert integration_time_s(100, 999) == pytest.approx(0.28078)
    assert full_scale(100, 999) == 65535
    assert full_scale(29, 599) == 18000
    counts = SpectralCounts(
        10000,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        20000,
        0,
        gain=16.0,
        integration_time_ms=280.78,
        full_scale=65535,
    )
    assert counts.basic_counts["f1"] == pytest.approx(2.22594, abs=1e-5)
    assert counts.basic_counts["clear"] == pytest.approx(2 * 2.22594, abs=1e-5)
    assert Gain.X0_5.factor == 0.5 and Gain.X512.factor == 512.0


def test_read_basic_counts_through_the_driver() -> None:
    bus, clock, sim, _ = rig()
    sensor = AS7341(bus, gain=Gain.X64, atime=29, astep=599, clock=clock)
    basic = sensor.read_basic_counts()
    raw = sensor.read_counts().raw
    t_ms = 30 * 600 * 2.78e-3
    assert basic["f5"] == pytest.approx(raw["f5"] / (64 * t_ms), rel=1e-3)


def test_mccamy_worked_examples() -> None:
    assert cct_mccamy(0.3127, 0.3290) == pytest.approx(6505.1, abs=0.1)  # D65
    assert cct_mccamy(0.44758, 0.40745) == pytest.approx(2857.1, abs=0.1)  # illuminant A


@pytest.mark.parametrize("kind", ["led", "blackbody"])
@pytest.mark.parametrize("cct", [2700.0, 3000.0, 4000.0, 5000.0, 6500.0])
def test_recovers_lux_and_cct_of_white_light(kind: str, cct: float) -> None:
    bus, clock, sim, _ = rig(LightSpec(300.0, cct, kind))  # type: ignore[arg-type]
    reading = AS7341(bus, clock=clock).read()
    assert reading.illuminance_lx == pytest.approx(300.0, rel=0.01)
    assert reading.cct_k == pytest.approx(cct, rel=0.05)


def test_nominal_matrix_is_the_fit_to_the_nominal_channel_responses() -> None:
    lights = [
        LightSpec(1.0, t, k) for k in ("led", "blackbody") for t in np.linspace(2200, 8000, 30)
    ]
    rows = [[basic_counts(light)[f"f{i}"] for i in range(1, 9)] for light in lights]
    fitted = fit_xyz_matrix(rows, [light.xyz for light in lights])
    np.testing.assert_allclose(fitted, NOMINAL_XYZ_MATRIX, rtol=1e-4, atol=1e-4)


def test_calibrate_replaces_the_matrix() -> None:
    bus, clock, sim, _ = rig(LightSpec(300.0, 4000.0))
    sensor = AS7341(bus, clock=clock)
    doubled = tuple(tuple(2 * v for v in row) for row in NOMINAL_XYZ_MATRIX)
    sensor.calibrate(doubled)  # type: ignore[arg-type]
    assert sensor.read().illuminance_lx == pytest.approx(600.0, rel=0.01)
    with pytest.raises(ValueError, match="3 rows of 8"):
        sensor.calibrate(((1.0, 2.0),) * 3)


def test_saturation_raises_and_the_chip_flags_it() -> None:
    bus, clock, sim, _ = rig(LightSpec(5000.0, 4000.0))
    sensor = AS7341(bus, atime=29, astep=599, clock=clock)
    counts = sensor.read_counts()
    assert "f6" in counts.saturated and counts.raw["f6"] == 18000
    assert sim.regs[0xA3] & 0x10  # STATUS2.ASAT_DIGITAL
    with pytest.raises(ReadingOutOfRange, match=r"AS7341 at 0x39: saturated channel\(s\) .*f6"):
        sensor.read()
    with pytest.raises(ReadingOutOfRange, match="full scale 18000"):
        sensor.read_basic_counts()


def test_saturated_clear_does_not_block_lux_from_f1_f8() -> None:
    bus, clock, sim, _ = rig(LightSpec(300.0, 2700.0, "blackbody"))
    sensor = AS7341(bus, clock=clock)
    reading = sensor.read()
    assert reading.counts.saturated == ["clear"]
    assert reading.illuminance_lx == pytest.approx(300.0, rel=0.01)
    with pytest.raises(ReadingOutOfRange, match="clear"):
        sensor.read_basic_counts()


def test_data_is_stale_until_the_smux_change_and_a_cycle_complete() -> None:
    bus, clock, sim, _ = rig()
    sensor = AS7341(bus, clock=clock)
    sensor.read_counts()  # ends on pass B: ADC0 holds F5
    f5_counts = sim.adc_counts
    bus.write_byte_data(0x39, 0x80, 0x01)
    bus.write_byte_data(0x39, 0xAF, 0x10)
    bus.write_i2c_block_data(0x39, 0x00, list(SMUX_F1_F4))
    bus.write_byte_data(0x39, 0x80, 0x11)
    assert bus.read_byte_data(0x39, 0x80) & 0x10  # SMUX still running
    data = bytes(bus.read_i2c_block_data(0x39, 0x95, 12))
    assert tuple(int.from_bytes(data[i : i + 2], "little") for i in range(0, 12, 2)) == f5_counts
    clock.advance(0.001)
    assert bus.read_byte_data(0x39, 0x80) == 0x01  # SMUXEN self-cleared
    bus.write_byte_data(0x39, 0x80, 0x03)  # SP_EN
    assert bus.read_byte_data(0x39, 0xA3) & 0x40 == 0  # AVALID cleared
    clock.advance(0.28)
    assert sim.adc_counts == f5_counts  # stale: the F1-F4 cycle has not ended
    clock.advance(0.001)
    assert bus.read_byte_data(0x39, 0xA3) & 0x40
    basic = basic_counts(LightSpec(300.0, 4000.0))
    assert sim.adc_counts[:4] == tuple(int(basic[f"f{i}"] * 16 * 280.78) for i in range(1, 5))


def test_driver_polls_avalid_when_the_chip_runs_slow() -> None:
    bus, clock, sim, _ = rig(oscillator_error=0.2)
    sensor = AS7341(bus, clock=clock)
    wire(bus)
    reading = sensor.read()
    events = wire(bus)
    status_reads = [events[i + 1] for i, e in enumerate(events) if e == "w 0x39 [a3]"]
    assert status_reads[0] == "r 0x39 [00]"  # not ready after the nominal 280.78 ms
    assert "r 0x39 [40]" in status_reads
    assert clock.monotonic() >= 2 * 1.2 * 0.28078
    assert reading.illuminance_lx == pytest.approx(300.0, rel=0.01)


def test_smux_that_never_finishes_is_a_bus_error_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim_as7341, "SMUX_TIME_S", 10.0)
    bus, clock, sim, _ = rig()
    sensor = AS7341(bus, clock=clock)
    with pytest.raises(BusError, match="AS7341 at 0x39 register 0x80: .*SMUXEN") as info:
        sensor.read_counts()
    assert info.value.errno == errno.ETIMEDOUT


def test_absent_sensor_is_a_bus_error_121() -> None:
    bus, clock = SimI2CBus(), SimClock()
    with pytest.raises(BusError) as info:
        AS7341(bus, clock=clock)
    assert info.value.errno == errno.EREMOTEIO
    assert "AS7341 at 0x39 register 0x92" in str(info.value)


def test_wrong_id_is_a_device_mismatch() -> None:
    bus, clock, _, _ = rig(id_byte=0x28)
    with pytest.raises(DeviceMismatch, match=r"AS7341 at 0x39: ID register 0x92 .*0b001010"):
        AS7341(bus, clock=clock)


def test_gain_and_integration_setters() -> None:
    bus, clock, sim, _ = rig()
    sensor = AS7341(bus, clock=clock)
    wire(bus)
    sensor.gain = Gain.X128
    sensor.set_integration(29, 599)
    assert wire(bus) == ["w 0x39 [aa 08]", "w 0x39 [81 1d]", "w 0x39 [ca 57 02]"]
    assert sim.gain == 128.0
    assert sensor.integration_time_s == pytest.approx(sim.integration_time_s)
    with pytest.raises(ValueError, match="ASTEP 65535"):
        sensor.set_integration(0, 65535)


def test_close_powers_down_once() -> None:
    bus, clock, sim, _ = rig()
    with AS7341(bus, clock=clock) as sensor:
        wire(bus)
    assert wire(bus) == ["w 0x39 [80 00]"]
    sensor.close()
    assert wire(bus) == []


def words(data: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(data[i : i + 2], "little") for i in range(0, len(data), 2))


def running_chip() -> tuple[SimI2CBus, SimClock, SimAS7341, Light]:
    """A chip on pass A, running free, one cycle completed."""
    bus, clock, sim, light = rig()
    sensor = AS7341(bus, clock=clock)
    sensor.read_counts()
    bus.write_byte_data(0x39, 0x80, 0x03)  # PON | SP_EN: free-running cycles
    clock.advance(sim.period_s + 0.001)
    return bus, clock, sim, light


def test_an_astatus_read_latches_the_data_registers_until_ch5_is_read() -> None:
    bus, clock, sim, light = running_chip()
    status = i2c_msg.read(0x39, 1)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x94]), status)  # ASTATUS alone: latches
    latched = sim.adc_counts
    light.value = LightSpec(600.0, 4000.0)
    clock.advance(sim.period_s)  # a new cycle completes at twice the light
    assert sim.adc_counts != latched
    first, rest = i2c_msg.read(0x39, 6), i2c_msg.read(0x39, 6)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x95]), first)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x9B]), rest)  # ends on CH5_DATA_H: released
    assert words(bytes(first) + bytes(rest)) == latched
    data = i2c_msg.read(0x39, 12)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x95]), data)
    assert words(bytes(data)) == sim.adc_counts  # no ASTATUS read: the newest cycle


def test_a_block_read_from_astatus_is_one_cycle() -> None:
    bus, clock, sim, _ = running_chip()
    block = i2c_msg.read(0x39, 13)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x94]), block)
    assert words(bytes(block)[1:]) == sim.adc_counts
    assert bytes(block)[0] == 0x05  # ASTATUS: not saturated, AGAIN 16x


def test_low_bank_registers_need_reg_bank() -> None:
    bus, _, sim, _ = rig()
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x74, 0x8A]))  # LED: ignored with REG_BANK = 0
    read = i2c_msg.read(0x39, 1)
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x74]), read)
    assert bytes(read) == b"\x00"
    bus.i2c_rdwr(i2c_msg.write(0x39, [0xA9, 0x10]))  # CFG0.REG_BANK = 1
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x74, 0x8A]))
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x74]), read)
    assert bytes(read) == b"\x8a"
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x92]), read)  # 0x80 and up stay reachable
    assert bytes(read) == b"\x24"
    bus.i2c_rdwr(i2c_msg.write(0x39, [0xA9, 0x00]))  # back to the high bank
    bus.i2c_rdwr(i2c_msg.write(0x39, [0x74]), read)
    assert bytes(read) == b"\x00"
    assert sim.regs[0x74] == 0x8A  # kept, only hidden
