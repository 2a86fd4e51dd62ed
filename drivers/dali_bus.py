"""DALI control gear driven and queried through python-dali (IEC 62386-102 commands).

python-dali builds the commands (``dali.gear.general``) and its driver for the station's DALI
interface puts them on the wire; this module only picks the driver, opens it, and turns its
answers into plain numbers. Interfaces (``interface`` of ``[hardware.dali]``):

- ``atxled``: the ATX LED DALI HAT on the Pi's serial port (``dali.driver.atxled``, 19200 Bd,
  ASCII lines ``h``/``t`` + hex forward frame, answers ``J`` + hex backward frame or ``N``).

Addresses: ``address`` 0..63 is a short address, ``group`` 0..15 a group, neither: broadcast.

Example::

    with DaliBus("/dev/ttyS0") as bus:
        bus.direct_arc_power(200, address=0)
        level = bus.query_actual_level(0)   # 0..254, None if nothing answered
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any, Self

from drivers.errors import DriverError

log = logging.getLogger(__name__)

DALI_INTERFACES = ("atxled",)


class DaliError(DriverError, OSError):
    """The DALI interface cannot be opened or does not take a command."""


def _address(address: int | None, group: int | None) -> Any:
    from dali.address import GearBroadcast, GearGroup, GearShort

    if address is not None and group is not None:
        raise ValueError("address a DALI command to a short address or a group, not both")
    if address is not None:
        return GearShort(address)
    if group is not None:
        return GearGroup(group)
    return GearBroadcast()


class DaliBus:
    """The station's DALI interface on ``port``, through python-dali's driver for it."""

    def __init__(self, port: str, *, interface: str = "atxled") -> None:
        if interface not in DALI_INTERFACES:
            raise DaliError(f"DALI interface {interface!r}: not one of {list(DALI_INTERFACES)}")
        import serial

        try:  # python-dali's driver logs and swallows an open error: check the port first
            serial.Serial(port, 19200, timeout=0.2).close()
        except (OSError, serial.SerialException) as exc:
            raise DaliError(f"DALI interface {interface} on {port}: {exc}") from None
        from dali.driver.atxled import SyncDaliHatDriver

        self.port = port
        self.interface = interface
        self._lock = threading.Lock()
        self._driver: Any = SyncDaliHatDriver(port, LOG=log)
        if self._driver.conn is None:
            raise DaliError(f"DALI interface {interface} on {port}: cannot open the port")

    def send(self, command: Any) -> Any:
        """Send a python-dali ``command``; return its response (None for a command)."""
        with self._lock:
            try:
                return self._driver.send(command)
            except (OSError, ValueError) as exc:
                raise DaliError(f"DALI interface {self.interface} on {self.port}: {exc}") from exc

    def direct_arc_power(
        self, level: int, *, address: int | None = None, group: int | None = None
    ) -> None:
        """DAPC: fade to arc power ``level`` (0 off, 1..254, 255 MASK stops a fade)."""
        from dali.gear.general import DAPC

        self.send(DAPC(_address(address, group), level))

    def go_to_scene(
        self, scene: int, *, address: int | None = None, group: int | None = None
    ) -> None:
        """GO TO SCENE ``scene`` (0..15)."""
        from dali.gear.general import GoToScene

        self.send(GoToScene(_address(address, group), scene))

    def off(self, *, address: int | None = None, group: int | None = None) -> None:
        """OFF, at once (no fade)."""
        from dali.gear.general import Off

        self.send(Off(_address(address, group)))

    def query_actual_level(self, address: int) -> int | None:
        """QUERY ACTUAL LEVEL of the gear at short ``address``: 0..254 (255 while it is
        MASK, e.g. in a lamp failure), None if no gear answered."""
        from dali.gear.general import QueryActualLevel

        response = self.send(QueryActualLevel(_address(address, None)))
        frame = None if response is None else response.raw_value
        return None if frame is None else int(frame.as_integer)

    def close(self) -> None:
        with self._lock:
            self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
