"""Maxim DS18B20 1-Wire thermometer through the Linux w1 sysfs (``w1-gpio`` + ``w1-therm``).

Each open-and-read of ``<base>/28-xxxxxxxxxxxx/w1_slave`` makes the kernel run a conversion
(750 ms at 12 bits) and prints two lines::

    72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    72 01 4b 46 7f ff 0e 10 57 t=23125

The driver accepts a reading only when line 1 ends in ``YES`` and the scratchpad is not one of
the known failure patterns: 85000 m°C is the power-on value (a conversion that never ran,
e.g. parasite power), and an all-zero scratchpad passes the CRC but means nobody answered.
Failures are retried ``retries`` times, ``retry_delay_s`` apart on the injected clock, then
raise :class:`W1ReadError`. ``base_dir`` is injectable so tests and the simulator
(:mod:`benchscore.sim.w1`) use a directory of their own.

Example::

    for sensor_id in DS18B20.discover():
        print(sensor_id, DS18B20(sensor_id).temperature_c)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Final

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError

__all__ = ["DS18B20", "W1ReadError", "W1Reading", "parse_w1_slave", "DEFAULT_W1_DIR"]

DEFAULT_W1_DIR: Final = Path("/sys/bus/w1/devices")
FAMILY_CODE: Final = "28"
POWER_ON_MILLI_C: Final = 85000

_LINE1 = re.compile(r"^((?:[0-9a-f]{2} ){9}): crc=([0-9a-f]{2}) (yes|no)$")
_LINE2 = re.compile(r"^((?:[0-9a-f]{2} ){9})t=(-?\d+)$")
_ID = re.compile(r"^28-[0-9a-f]{12}$")


class W1ReadError(DriverError, OSError):
    """A w1 read failed: missing device, CRC mismatch, power-on value or garbage."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(errno, message)

    def __str__(self) -> str:
        return str(self.args[1])


@dataclass(frozen=True)
class W1Reading:
    """One parsed ``w1_slave`` file."""

    scratchpad: bytes
    crc_ok: bool
    milli_c: int


def parse_w1_slave(text: str) -> W1Reading:
    """Parse the two lines of a ``w1_slave`` file; raise ValueError if they are malformed."""
    lines = text.strip().splitlines()
    if len(lines) != 2:
        raise ValueError(f"expected 2 lines, got {len(lines)}: {text!r}")
    first = _LINE1.match(lines[0].strip().lower())
    second = _LINE2.match(lines[1].strip().lower())
    if first is None or second is None:
        raise ValueError(f"unrecognised w1_slave text: {text!r}")
    return W1Reading(
        scratchpad=bytes.fromhex(first.group(1)),
        crc_ok=first.group(3) == "yes",
        milli_c=int(second.group(2)),
    )


class DS18B20:
    """One DS18B20 on the w1 bus, by its sysfs id (``28-`` and 12 hex digits)."""

    name = "DS18B20"

    def __init__(
        self,
        device_id: str,
        *,
        base_dir: Path | str = DEFAULT_W1_DIR,
        retries: int = 2,
        retry_delay_s: float = 0.1,
        clock: Clock | None = None,
    ) -> None:
        if not _ID.match(device_id):
            raise ValueError(f"{device_id!r} is not a DS18B20 w1 id (28-xxxxxxxxxxxx)")
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.device_id = device_id
        self.base_dir = Path(base_dir)
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.clock: Clock = clock if clock is not None else RealClock()
        self._closed = False

    @classmethod
    def discover(cls, base_dir: Path | str = DEFAULT_W1_DIR) -> list[str]:
        """Return the ids of the DS18B20s the kernel lists under ``base_dir``, sorted."""
        base = Path(base_dir)
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.glob(f"{FAMILY_CODE}-*") if _ID.match(p.name))

    @property
    def path(self) -> Path:
        """Get the ``w1_slave`` file of this sensor."""
        return self.base_dir / self.device_id / "w1_slave"

    def __repr__(self) -> str:
        return f"DS18B20({self.device_id!r})"

    # -- reading -----------------------------------------------------------------------
    def _read_once(self) -> float:
        """One conversion: return °C or raise W1ReadError describing what was wrong."""
        try:
            text = self.path.read_text(encoding="ascii")
        except OSError as exc:
            raise W1ReadError(f"{self.name} {self.device_id}: {exc}", exc.errno) from exc
        try:
            reading = parse_w1_slave(text)
        except ValueError as exc:
            raise W1ReadError(f"{self.name} {self.device_id}: {exc}") from exc
        if not reading.crc_ok:
            raise W1ReadError(f"{self.name} {self.device_id}: CRC mismatch (crc NO)")
        if not any(reading.scratchpad):
            raise W1ReadError(
                f"{self.name} {self.device_id}: all-zero scratchpad (no sensor answered)"
            )
        if reading.milli_c == POWER_ON_MILLI_C:
            raise W1ReadError(
                f"{self.name} {self.device_id}: 85 °C power-on value (conversion did not run)"
            )
        return reading.milli_c / 1000.0

    def read_temperature_c(self) -> float:
        """Measure the temperature in degrees Celsius, retrying failed reads."""
        if self._closed:
            raise W1ReadError(f"{self.name} {self.device_id} is closed")
        for attempt in range(self.retries + 1):
            try:
                return self._read_once()
            except W1ReadError as exc:
                if attempt == self.retries or isinstance(exc.__cause__, FileNotFoundError):
                    raise W1ReadError(f"{exc} (after {attempt + 1} attempt(s))", exc.errno) from exc
                self.clock.sleep(self.retry_delay_s)
        raise AssertionError("unreachable")  # pragma: no cover

    @property
    def temperature_c(self) -> float:
        """Measure the temperature in degrees Celsius."""
        return self.read_temperature_c()

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop using the sensor (nothing to power down over sysfs); idempotent."""
        self._closed = True

    def __enter__(self) -> DS18B20:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
