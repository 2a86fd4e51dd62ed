"""TCS34725 driver against the simulated chip: wire bytes, DN40, saturation, timing, faults.

Also the light model the colour sims share (:mod:`benchscore.sim.light`).
"""

from __future__ import annotations

import errno

import pytest
from smbus2 import i2c_msg

from benchscore.clock import SimClock
from benchscore.sim.chips.tcs34725 import SimTCS34725
from benchscore.sim.i2c import SimI2CBus
from benchscore.sim.light import LightSpec, cct_of_xy
from drivers.errors import BusError, DeviceMismatch, ReadingOutOfRange
from drivers.tcs34725 import (
    TCS34725,
    ColourCounts,
    Gain,
    IntegrationTime,
    dn40,
    dn40_saturation,
)


class Light:
    def __init__(self, value: LightSpec | float) -> None:
        self.value = value

    def __call__(self) -> LightSpec | float:
        return self.value


WHITE_400_LX = LightSpec(400.0, 4000.0)


def rig(
    light: LightSpec | float = WHITE_400_LX, **sim_options: object
) -> tuple[SimI2CBus, SimClock, SimTCS34725, Light]:
    clock = SimClock()
    bus = SimI2CBus(record=True)
    source = Light(light)
    sim = SimTCS34725(clock, source=source, **sim_options)  # type: ignore[arg-type]
    bus.attach(0x29, sim)
    return bus, clock, sim, source


def wire(bus: SimI2CBus) -> list[str]:
    out = [str(e) for e in bus.trace]
    bus.trace.clear()
    return out


def test_init_wire_bytes_and_pon_warm_up() -> None:
    bus, clock, sim, _ = rig()
    TCS34725(bus, clock=clock)
    assert wire(bus) == [
        "w 0x29 [92]",  # 0x80 | ID (0x12)
        "r 0x29 [44]",
        "w 0x29 [81 c0]",  # ATIME 0xC0: 64 cycles, 153.6 ms
        "w 0x29 [8f 01]",  # CONTROL: AGAIN 4x
        "w 0x29 [80 01]",  # ENABLE: PON
        "w 0x29 [80 03]",  # ENABLE: PON | AEN, after the 2.4 ms warm-up
    ]
    assert clock.monotonic() >= 0.0024


def test_reading_polls_avalid_then_reads_eight_bytes_auto_incremented() -> None:
    bus, clock, sim, _ = rig()
    sensor = TCS34725(bus, clock=clock)
    wire(bus)
    counts = sensor.read_counts()
    data = b"".join(v.to_bytes(2, "little") for v in sim.counts)
    assert wire(bus) == ["w 0x29 [93]", "r 0x29 [01]", "w 0x29 [b4]", f"r 0x29 [{data.hex(' ')}]"]
    assert (counts.clear, counts.red, counts.green, counts.blue) == sim.counts
    assert counts.integration_time_ms == pytest.approx(153.6)
    assert counts.gain == 4.0
    assert clock.monotonic() >= 0.0024 + 0.1536


def test_dn40_worked_example() -> None:
    # C=11000 R=4000 G=5000 B=3000 at ATIME 0xC0 (153.6 ms), 4x:
    # IR = (12000 - 11000)/2 = 500; R'=3500 G'=4500 B'=2500
    # G1 = 0.136*3500 + 4500 - 0.444*2500 = 3866; CPL = 153.6*4/310 = 1.98194
    # lux = 1950.618; CCT = 3810*2500/3500 + 1391 = 4112.43 K
    counts = ColourCounts(11000, 4000, 5000, 3000, atime=0xC0, gain=4.0)
    lux, cct = dn40(counts)
    assert lux == pytest.approx(3866 * 310 / 614.4)
    assert lux == pytest.approx(1950.618, abs=1e-3)
    assert cct == pytest.approx(4112.43, abs=0.01)
    lux_glass, _ = dn40(counts, glass_attenuation=2.0)  # half the light through the glass
    assert lux_glass == pytest.approx(2 * lux)


def test_dn40_worked_example_through_the_wire() -> None:
    bus, clock, sim, _ = rig()
    sim.forced_counts = (11000, 4000, 5000, 3000)
    sensor = TCS34725(bus, clock=clock)
    wire(bus)
    reading = sensor.read()
    assert wire(bus)[-1] == "r 0x29 [f8 2a a0 0f 88 13 b8 0b]"  # C, R, G, B; LSB first
    assert reading.illuminance_lx == pytest.approx(1950.618, abs=1e-3)
    assert reading.cct_k == pytest.approx(4112.43, abs=0.01)


def test_dn40_no_ir_when_rgb_sum_is_below_clear() -> None:
    lux, cct = dn40(ColourCounts(13000, 4000, 5000, 3000, atime=0xC0, gain=4.0))
    assert lux == pytest.approx((0.136 * 4000 + 5000 - 0.444 * 3000) * 310 / 614.4)
    assert cct == pytest.approx(3810 * 3000 / 4000 + 1391)


@pytest.mark.parametrize(
    ("atime", "expected"),
    [
        (0xC0, 65535),  # 64 cycles (> 63), 153.6 ms
        (0xC1, 64512),  # 63 cycles: 1024*63, 151.2 ms: no ripple allowance
        (0xD6, 43008 * 0.75),  # 42 cycles, 100.8 ms < 150 ms: less 25 %
        (0xF6, 10240 * 0.75),  # 10 cycles, 24 ms
        (0x00, 65535),
    ],
)
def test_dn40_saturation(atime: int, expected: float) -> None:
    assert dn40_saturation(atime) == expected


def test_bright_light_saturates_the_clear_channel_at_65535() -> None:
    bus, clock, sim, _ = rig(LightSpec(60_000.0, 5000.0))
    sensor = TCS34725(bus, clock=clock)
    assert sensor.read_counts().saturated
    assert sim.counts[0] == 65535
    with pytest.raises(ReadingOutOfRange, match=r"TCS34725 at 0x29: clear channel 65535"):
        sensor.read()


def test_short_integration_saturates_at_1024_per_cycle_and_ripple_limit_applies() -> None:
    bus, clock, sim, _ = rig(LightSpec(60_000.0, 5000.0))
    sensor = TCS34725(bus, integration_time=IntegrationTime.MS_24, clock=clock)
    assert sensor.read_counts().clear == 10240  # 10 cycles x 1024
    sim.forced_counts = (9000, 4000, 4000, 2000)  # below 10240 but above 75 %: ripple
    with pytest.raises(ReadingOutOfRange, match="DN40 limit 7680"):
        sensor.read()
    sim.forced_counts = (7000, 3000, 3000, 1500)
    assert sensor.read().illuminance_lx > 0


@pytest.mark.parametrize("kind", ["led", "blackbody"])
@pytest.mark.parametrize("cct", [2700.0, 3000.0, 4000.0, 5000.0, 6500.0])
def test_recovers_lux_and_cct_of_white_light(kind: str, cct: float) -> None:
    light = LightSpec(400.0, cct, kind)  # type: ignore[arg-type]
    bus, clock, sim, _ = rig(light)
    reading = TCS34725(bus, clock=clock).read()
    assert reading.illuminance_lx == pytest.approx(400.0, rel=0.01)
    assert reading.cct_k == pytest.approx(cct, rel=0.05)


def test_incandescent_light_shows_infrared_in_the_counts() -> None:
    counts = {}
    for kind in ("led", "blackbody"):
        bus, clock, sim, _ = rig(LightSpec(400.0, 2700.0, kind))
        counts[kind] = TCS34725(bus, clock=clock).read_counts()
    ir = {k: (c.red + c.green + c.blue - c.clear) / 2 for k, c in counts.items()}
    assert ir["blackbody"] > 20 * max(ir["led"], 1.0)


def test_dark_gives_zero_lux_and_no_cct() -> None:
    bus, clock, sim, _ = rig(0.0)
    sensor = TCS34725(bus, clock=clock)
    reading = sensor.read()
    assert reading.illuminance_lx == 0.0
    assert reading.cct_k is None
    with pytest.raises(ReadingOutOfRange, match="TCS34725 at 0x29: CCT undefined"):
        _ = sensor.cct_k


def test_absent_sensor_is_a_bus_error_121() -> None:
    bus, clock = SimI2CBus(), SimClock()
    with pytest.raises(BusError) as info:
        TCS34725(bus, clock=clock)
    assert info.value.errno == errno.EREMOTEIO
    assert "TCS34725 at 0x29 register 0x12" in str(info.value)


@pytest.mark.parametrize("chip_id", [0x44, 0x4D, 0x10])
def test_accepted_ids(chip_id: int) -> None:
    bus, clock, _, _ = rig(chip_id=chip_id)
    TCS34725(bus, clock=clock)


def test_wrong_id_is_a_device_mismatch() -> None:
    bus, clock, _, _ = rig(chip_id=0x50)
    with pytest.raises(DeviceMismatch, match=r"TCS34725 at 0x29: ID register 0x12 reads 0x50"):
        TCS34725(bus, clock=clock)


def test_reads_auto_increment_after_0x80_as_on_silicon_and_after_0xa0() -> None:
    """Adafruit reads words after a plain ``0x80 | reg`` and works on hardware: so here too."""
    bus, clock, sim, _ = rig()
    sim.forced_counts = (0x1234, 0x5678, 0x9ABC, 0xDEF0)
    TCS34725(bus, clock=clock)
    clock.advance(0.2)
    for command in (0x94, 0xB4):  # 0x80 | CDATAL (repeated byte), 0xA0 | CDATAL (auto-increment)
        write, read = i2c_msg.write(0x29, [command]), i2c_msg.read(0x29, 8)
        bus.i2c_rdwr(write, read)
        assert bytes(read) == bytes.fromhex("3412 7856 bc9a f0de")
    assert bus.read_word_data(0x29, 0x96) == 0x5678  # RDATAL then RDATAH


def test_bytes_written_after_a_repeated_byte_command_stay_on_one_register() -> None:
    bus, _, sim, _ = rig()
    bus.i2c_rdwr(i2c_msg.write(0x29, [0x83, 0x11, 0x22]))  # 0x80 | WTIME
    assert (sim.regs[0x03], sim.regs[0x04]) == (0x22, 0x00)
    bus.i2c_rdwr(i2c_msg.write(0x29, [0xA3, 0x11, 0x22]))  # 0xA0 | WTIME: WTIME, AILTL
    assert (sim.regs[0x03], sim.regs[0x04]) == (0x11, 0x22)


def test_sim_data_is_stale_until_the_first_cycle_after_enable() -> None:
    bus, clock, sim, light = rig()
    bus.write_byte_data(0x29, 0x81, 0xC0)
    bus.write_byte_data(0x29, 0x80, 0x03)  # PON | AEN at once: warm-up, then integration
    assert bus.read_i2c_block_data(0x29, 0xB4, 8) == [0] * 8
    clock.advance(0.0024 + 0.1535)
    assert bus.read_byte_data(0x29, 0x93) & 0x01 == 0
    assert bus.read_i2c_block_data(0x29, 0xB4, 8) == [0] * 8
    clock.advance(0.0002)
    assert bus.read_byte_data(0x29, 0x93) & 0x01 == 1
    assert bus.read_i2c_block_data(0x29, 0xB4, 8) != [0] * 8


def test_driver_polls_avalid_when_the_chip_runs_slow() -> None:
    bus, clock, sim, _ = rig(oscillator_error=0.3)
    sensor = TCS34725(bus, clock=clock)
    wire(bus)
    reading = sensor.read()
    events = wire(bus)
    assert events[:2] == ["w 0x29 [93]", "r 0x29 [00]"]
    assert events[-4:-2] == ["w 0x29 [93]", "r 0x29 [01]"]
    assert reading.illuminance_lx == pytest.approx(400.0, rel=0.01)


def test_each_reading_is_a_fresh_cycle() -> None:
    bus, clock, sim, light = rig(LightSpec(100.0, 4000.0))
    sensor = TCS34725(bus, clock=clock)
    assert sensor.illuminance_lx == pytest.approx(100.0, rel=0.01)
    light.value = LightSpec(300.0, 6500.0)
    reading = sensor.read()
    assert reading.illuminance_lx == pytest.approx(300.0, rel=0.01)
    assert reading.cct_k == pytest.approx(6500.0, rel=0.05)


def test_gain_and_integration_setters() -> None:
    bus, clock, sim, _ = rig(LightSpec(50.0, 3000.0))
    sensor = TCS34725(bus, clock=clock)
    wire(bus)
    sensor.gain = Gain.X16
    assert wire(bus) == ["w 0x29 [80 01]", "w 0x29 [8f 02]", "w 0x29 [80 03]"]
    sensor.integration_time = IntegrationTime.MS_614
    assert wire(bus) == ["w 0x29 [80 01]", "w 0x29 [81 00]", "w 0x29 [80 03]"]
    start = clock.monotonic()
    reading = sensor.read()
    assert clock.monotonic() - start >= 0.6144
    assert reading.counts.gain == 16.0
    assert reading.illuminance_lx == pytest.approx(50.0, rel=0.01)


def test_close_powers_down_once() -> None:
    bus, clock, sim, _ = rig()
    with TCS34725(bus, clock=clock) as sensor:
        wire(bus)
    assert wire(bus) == ["w 0x29 [80 00]"]
    sensor.close()
    assert wire(bus) == []


# -- the shared light model ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cct", "xy"),
    [
        (2856.0, (0.44758, 0.40745)),  # CIE illuminant A
        (6500.0, (0.3135, 0.3236)),  # Planckian 6500 K
    ],
)
def test_blackbody_chromaticity_matches_cie(cct: float, xy: tuple[float, float]) -> None:
    x, y = LightSpec(1.0, cct, "blackbody").xy
    assert x == pytest.approx(xy[0], abs=0.002)
    assert y == pytest.approx(xy[1], abs=0.002)


@pytest.mark.parametrize("cct", [2700.0, 4000.0, 6500.0])
def test_led_spectrum_has_the_requested_cct_and_no_infrared(cct: float) -> None:
    light = LightSpec(300.0, cct)
    assert cct_of_xy(*light.xy) == pytest.approx(cct, rel=0.002)
    assert light.xyz[1] == pytest.approx(300.0)
    spectrum = light.spectrum
    assert spectrum[-1] < 1e-6 * spectrum.max()  # nothing left at 1100 nm
