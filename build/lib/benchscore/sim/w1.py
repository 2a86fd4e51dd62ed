"""A fake Linux w1 sysfs tree for DS18B20 sensors, driven by temperature sources.

The tree looks like ``/sys/bus/w1/devices``::

    <base>/28-0000075a3b1c/w1_slave        one conversion per open-and-read
    <base>/28-0000075a3b1c/name
    <base>/w1_bus_master1/w1_master_slaves

``w1_slave`` holds the text of the latest conversion in the exact format of ``w1_therm``
(``crc=xx YES`` line, then ``t=<millidegrees>``, truncated toward zero as the kernel's integer
division does), rendered from ``source()`` in °C. The kernel converts on every read; a plain
file cannot see its readers, so here a conversion happens when the sensor is added, on
:meth:`SimW1Bus.refresh`, and on every ``sleep`` of the clock returned by
:meth:`SimW1Bus.clock` -- inject that clock into the driver and each retry or polling pause
brings a fresh conversion, deterministically. (A named pipe per sensor would model "one
conversion per open" directly, but a writer cannot tell a reader's close from the next
reader's open, so it races.)

Faults are queued per sensor and consumed one conversion each: ``"crc"`` (a corrupted byte,
crc ``NO``), ``"power_on"`` (the 85 °C power-on scratchpad, crc ``YES``) and ``"zeros"`` (an
all-zero scratchpad, which passes the CRC). :meth:`SimDS18B20.unplug` removes the sensor.
"""

from __future__ import annotations

import shutil
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Final, Literal

from benchscore.clock import Clock

__all__ = ["Fault", "RefreshingClock", "SimDS18B20", "SimW1Bus", "crc8", "render_w1_slave"]

Fault = Literal["crc", "power_on", "zeros"]

POWER_ON_SCRATCHPAD: Final = bytes.fromhex("50054b467fff0c101c")
_CONVERSION_S: Final = {9: 0.09375, 10: 0.1875, 11: 0.375, 12: 0.75}


def crc8(data: bytes) -> int:
    """Dallas/Maxim 1-Wire CRC-8 (polynomial x^8 + x^5 + x^4 + 1, reflected 0x8C)."""
    crc = 0
    for byte in data:
        for _ in range(8):
            mix = (crc ^ byte) & 1
            crc >>= 1
            if mix:
                crc ^= 0x8C
            byte >>= 1
    return crc


def scratchpad_for(temp_c: float, resolution_bits: int = 12) -> bytes:
    """Return the 9 scratchpad bytes a DS18B20 holds after converting ``temp_c``."""
    if resolution_bits not in _CONVERSION_S:
        raise ValueError(f"resolution {resolution_bits} outside 9..12 bits")
    clipped = max(-55.0, min(125.0, temp_c))
    raw = round(clipped * 16)
    raw &= ~((1 << (12 - resolution_bits)) - 1)  # undefined low bits read 0
    raw &= 0xFFFF
    config = 0x1F | ((resolution_bits - 9) << 5)
    body = bytes([raw & 0xFF, raw >> 8, 0x4B, 0x46, config, 0xFF, 0x0C, 0x10])
    return body + bytes([crc8(body)])


def _milli_c(scratchpad: bytes) -> int:
    raw = scratchpad[0] | (scratchpad[1] << 8)
    if raw & 0x8000:
        raw -= 0x10000
    return int(raw * 1000 / 16)  # C: (int)t * 1000 / 16 truncates toward zero


def render_w1_slave(scratchpad: bytes) -> str:
    """Return the two lines the kernel prints for a scratchpad read."""
    crc = crc8(scratchpad[:8])
    verdict = "YES" if crc == scratchpad[8] else "NO"
    hexbytes = "".join(f"{b:02x} " for b in scratchpad)
    return f"{hexbytes}: crc={crc:02x} {verdict}\n{hexbytes}t={_milli_c(scratchpad)}\n"


class SimDS18B20:
    """One simulated sensor in a :class:`SimW1Bus` tree."""

    def __init__(
        self,
        tree: SimW1Bus,
        device_id: str,
        source: Callable[[], float],
        resolution_bits: int,
    ) -> None:
        self.tree = tree
        self.device_id = device_id
        self.source = source
        self.resolution_bits = resolution_bits
        self.faults: deque[Fault] = deque()
        self.conversions = 0
        self.directory = tree.base_dir / device_id
        self.path = self.directory / "w1_slave"
        self.plugged = False
        self._lock = threading.Lock()

    def queue_fault(self, *faults: Fault) -> None:
        """Make the next conversions fail, one fault each, in order."""
        with self._lock:
            self.faults.extend(faults)

    def render(self) -> str:
        """Run one conversion and return the text ``w1_slave`` shows for it."""
        with self._lock:
            fault = self.faults.popleft() if self.faults else None
            self.conversions += 1
        if fault == "power_on":
            return render_w1_slave(POWER_ON_SCRATCHPAD)
        if fault == "zeros":
            return render_w1_slave(bytes(9))
        pad = bytearray(scratchpad_for(self.source(), self.resolution_bits))
        if fault == "crc":
            pad[0] ^= 0x04  # a bit lost on the wire
        return render_w1_slave(bytes(pad))

    def convert(self) -> None:
        """Run one conversion and publish it in ``w1_slave`` (atomically, via rename)."""
        if not self.plugged:
            return
        text = self.render()
        tmp = self.directory / ".w1_slave.tmp"
        tmp.write_text(text, encoding="ascii")
        tmp.replace(self.path)

    @property
    def conversion_time_s(self) -> float:
        """Get the conversion time in seconds at this resolution."""
        return _CONVERSION_S[self.resolution_bits]

    def plug(self) -> None:
        """Create the sensor's directory and its first conversion."""
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "name").write_text(self.device_id + "\n")
        self.plugged = True
        self.convert()

    def unplug(self) -> None:
        """Remove the sensor from the tree, as the kernel does when it stops answering."""
        self.plugged = False
        shutil.rmtree(self.directory, ignore_errors=True)
        self.tree._forget(self)


class RefreshingClock:
    """A clock whose ``sleep`` also makes every sensor of a tree convert again."""

    def __init__(self, base: Clock, tree: SimW1Bus) -> None:
        self.base = base
        self.tree = tree

    def monotonic(self) -> float:
        return self.base.monotonic()

    def time(self) -> float:
        return self.base.time()

    def sleep(self, seconds: float) -> None:
        self.base.sleep(seconds)
        self.tree.refresh()


class SimW1Bus:
    """A w1 ``devices`` directory under ``base_dir`` holding simulated DS18B20s."""

    def __init__(self, base_dir: Path | str, *, master: str = "w1_bus_master1") -> None:
        self.base_dir = Path(base_dir)
        self.sensors: dict[str, SimDS18B20] = {}
        self.master_dir = self.base_dir / master
        self.master_dir.mkdir(parents=True, exist_ok=True)
        self._write_master()
        self._closed = False

    def add_ds18b20(
        self,
        serial: int | str,
        source: Callable[[], float],
        *,
        resolution_bits: int = 12,
    ) -> SimDS18B20:
        """Add a sensor with a 48-bit ``serial`` and a ``source() -> °C``."""
        if self._closed:
            raise RuntimeError("the simulated w1 bus is closed")
        device_id = f"28-{serial:012x}" if isinstance(serial, int) else f"28-{serial.lower()}"
        if device_id in self.sensors:
            raise ValueError(f"{device_id} is already on the bus")
        if resolution_bits not in _CONVERSION_S:
            raise ValueError(f"resolution {resolution_bits} outside 9..12 bits")
        sensor = SimDS18B20(self, device_id, source, resolution_bits)
        sensor.plug()
        self.sensors[device_id] = sensor
        self._write_master()
        return sensor

    def refresh(self) -> None:
        """Make every sensor convert again (what the next kernel read would do)."""
        for sensor in list(self.sensors.values()):
            sensor.convert()

    def clock(self, base: Clock) -> RefreshingClock:
        """Return ``base`` wrapped so that each sleep refreshes the tree."""
        return RefreshingClock(base, self)

    def _forget(self, sensor: SimDS18B20) -> None:
        self.sensors.pop(sensor.device_id, None)
        self._write_master()

    def _write_master(self) -> None:
        text = "".join(f"{name}\n" for name in sorted(self.sensors)) or "not found.\n"
        (self.master_dir / "w1_master_slaves").write_text(text)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Remove every sensor's files; idempotent."""
        if self._closed:
            return
        self._closed = True
        for sensor in list(self.sensors.values()):
            sensor.unplug()

    def __enter__(self) -> SimW1Bus:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
