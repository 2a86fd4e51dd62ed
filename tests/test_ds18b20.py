"""DS18B20 over a w1 sysfs tree: kernel text format, CRC retries, the 85 °C pitfall."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchscore.clock import SimClock
from benchscore.sim.w1 import SimW1Bus, crc8, render_w1_slave, scratchpad_for
from drivers.ds18b20 import DS18B20, W1ReadError, parse_w1_slave

KERNEL_SAMPLE = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"


class Room:
    def __init__(self) -> None:
        self.temp_c = 23.125


@pytest.fixture
def room() -> Room:
    return Room()


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[SimW1Bus]:
    with SimW1Bus(tmp_path / "devices") as bus:
        yield bus


def test_crc8_matches_known_scratchpads() -> None:
    assert crc8(bytes.fromhex("72014b467fff0e10")) == 0x57
    assert crc8(bytes.fromhex("50054b467fff0c10")) == 0x1C  # power-on


def test_parse_kernel_text() -> None:
    reading = parse_w1_slave(KERNEL_SAMPLE)
    assert reading.crc_ok
    assert reading.milli_c == 23125
    assert reading.scratchpad == bytes.fromhex("72014b467fff0e1057")
    with pytest.raises(ValueError, match="unrecognised"):
        parse_w1_slave("garbage\nt=1\n")


def test_driver_reads_a_plain_file_in_an_injected_dir(tmp_path: Path) -> None:
    sensor_dir = tmp_path / "28-00000a1b2c3d"
    sensor_dir.mkdir()
    (sensor_dir / "w1_slave").write_text(KERNEL_SAMPLE)
    assert DS18B20.discover(tmp_path) == ["28-00000a1b2c3d"]
    assert DS18B20("28-00000a1b2c3d", base_dir=tmp_path).temperature_c == 23.125


def test_sim_writes_the_kernel_format(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(0x75A3B1C, lambda: room.temp_c)
    text = sensor.path.read_text()
    assert text == render_w1_slave(scratchpad_for(23.125))
    assert text.startswith("72 01 4b 46 7f ff 0c 10 c6 : crc=c6 YES\n")
    assert text.endswith(" t=23125\n")
    assert (tree.base_dir / "w1_bus_master1" / "w1_master_slaves").read_text() == (
        "28-0000075a3b1c\n"
    )


def test_each_refresh_is_a_new_conversion(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(1, lambda: room.temp_c)
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir, clock=tree.clock(SimClock()))
    assert ds.read_temperature_c() == 23.125
    room.temp_c = 30.5
    tree.refresh()
    assert ds.read_temperature_c() == 30.5
    assert sensor.conversions == 2


def test_negative_temperature_truncates_like_the_kernel(tree: SimW1Bus, room: Room) -> None:
    room.temp_c = -10.0625
    sensor = tree.add_ds18b20(2, lambda: room.temp_c)
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir)
    assert ds.read_temperature_c() == -10.062  # -161 * 1000 / 16 = -10062.5 -> -10062


def test_resolution_drops_low_bits(tree: SimW1Bus, room: Room) -> None:
    room.temp_c = 23.3
    sensor = tree.add_ds18b20(3, lambda: room.temp_c, resolution_bits=9)
    assert sensor.conversion_time_s == 0.09375
    assert DS18B20(sensor.device_id, base_dir=tree.base_dir).temperature_c == 23.0


def test_crc_no_is_retried(tree: SimW1Bus, room: Room) -> None:
    clock = SimClock()
    sensor = tree.add_ds18b20(4, lambda: room.temp_c)
    sensor.queue_fault("crc")
    tree.refresh()
    assert sensor.path.read_text().split("\n")[0].endswith(" NO")
    ds = DS18B20(
        sensor.device_id, base_dir=tree.base_dir, clock=tree.clock(clock), retry_delay_s=0.2
    )
    assert ds.read_temperature_c() == 23.125
    assert sensor.conversions == 3  # plug, the bad one, the retry
    assert clock.monotonic() == pytest.approx(0.2)


def test_persistent_crc_failure_raises_after_retries(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(5, lambda: room.temp_c)
    sensor.queue_fault("crc", "crc", "crc")
    tree.refresh()
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir, clock=tree.clock(SimClock()), retries=2)
    with pytest.raises(W1ReadError, match=r"CRC mismatch .*after 3 attempt"):
        ds.read_temperature_c()
    assert sensor.conversions == 4


def test_power_on_85000_is_an_error_not_a_temperature(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(6, lambda: room.temp_c)
    clock = tree.clock(SimClock())
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir, clock=clock, retries=1)
    sensor.queue_fault("power_on", "power_on")
    tree.refresh()
    assert sensor.path.read_text().endswith("t=85000\n")
    with pytest.raises(W1ReadError, match="85 °C power-on"):
        ds.read_temperature_c()
    sensor.queue_fault("power_on")
    tree.refresh()
    assert ds.read_temperature_c() == 23.125  # one bad conversion, then a good one


def test_all_zero_scratchpad_passes_crc_but_is_an_error(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(7, lambda: room.temp_c)
    sensor.queue_fault("zeros")
    tree.refresh()
    assert "00 00 00 00 00 00 00 00 00 : crc=00 YES" in sensor.path.read_text()
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir, retries=0)
    with pytest.raises(W1ReadError, match="all-zero"):
        ds.read_temperature_c()


def test_unplugged_sensor_fails_at_once_with_enoent(tree: SimW1Bus, room: Room) -> None:
    sensor = tree.add_ds18b20(8, lambda: room.temp_c)
    ds = DS18B20(sensor.device_id, base_dir=tree.base_dir, clock=SimClock())
    sensor.unplug()
    with pytest.raises(W1ReadError) as info:
        ds.read_temperature_c()
    assert info.value.errno == errno.ENOENT
    assert "after 1 attempt" in str(info.value)
    assert DS18B20.discover(tree.base_dir) == []


def test_discover_lists_only_ds18b20_ids(tree: SimW1Bus, room: Room) -> None:
    tree.add_ds18b20("00000000000b", lambda: room.temp_c)
    tree.add_ds18b20(0xA, lambda: room.temp_c)
    (tree.base_dir / "10-000000000001").mkdir()  # a DS18S20: other family code
    assert DS18B20.discover(tree.base_dir) == ["28-00000000000a", "28-00000000000b"]
    assert DS18B20.discover(tree.base_dir / "missing") == []


def test_close_is_idempotent_and_removes_files(tmp_path: Path, room: Room) -> None:
    bus = SimW1Bus(tmp_path)
    sensor = bus.add_ds18b20(10, lambda: room.temp_c)
    ds = DS18B20(sensor.device_id, base_dir=tmp_path)
    bus.close()
    bus.close()
    assert not sensor.directory.exists()
    ds.close()
    ds.close()
    assert ds.closed
    with pytest.raises(W1ReadError, match="closed"):
        ds.read_temperature_c()


def test_bad_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="28-"):
        DS18B20("10-000000000001")
