"""DALI control gear driven and queried through python-dali (IEC 62386-102 commands).

python-dali builds the commands (``dali.gear.general``) and its driver for the station's DALI
interface puts them on the wire; this module only picks the driver, opens it, and turns its
answers into plain numbers. Interfaces (``interface`` of ``[hardware.dali]``):

- ``atxled``: the ATX LED DALI HAT on the Pi's serial port (``dali.driver.atxled``, 19200 Bd,
  ASCII lines ``h``/``t`` + hex forward frame, answers ``J`` + hex backward frame or ``N``).
- ``tridonic``: the Tridonic/Lunatone DALI USB (USB 17b5:0020) at its hidraw node
  (``dali.driver.hid.tridonic``, 64-byte HID reports). python-dali's HID drivers are asyncio:
  they run on an event loop in a thread of their own, and each call here waits for its
  answer (``timeout_s``).

Addresses: ``address`` 0..63 is a short address, ``group`` 0..15 a group, neither: broadcast.

Example::

    with DaliBus("/dev/ttyS0") as bus:
        bus.direct_arc_power(200, address=0)
        level = bus.query_actual_level(0)   # 0..254, None if nothing answered
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from types import TracebackType
from typing import Any, Self

from drivers.errors import DriverError

log = logging.getLogger(__name__)

DALI_INTERFACES = ("atxled", "tridonic")


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


class _AsyncDriver:
    """A python-dali asyncio driver on an event loop in its own thread."""

    def __init__(self, make: Any, where: str, timeout_s: float) -> None:
        self.where = where
        self.timeout_s = timeout_s
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="dali", daemon=True)
        self.thread.start()
        try:
            self.driver = self._call(self._connect(make))
        except BaseException:
            self.close()
            raise

    async def _connect(self, make: Any) -> Any:
        driver = make()
        driver.exceptions_on_send = True
        if not driver.connect():
            driver.disconnect()
            raise DaliError(f"{self.where}: cannot open the device")
        try:
            await asyncio.wait_for(driver.connected.wait(), self.timeout_s)
        except TimeoutError:
            driver.disconnect()
            raise DaliError(f"{self.where}: the interface does not answer") from None
        return driver

    def _call(self, coro: Any) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(self.timeout_s + 1.0)
        except TimeoutError:
            future.cancel()
            raise DaliError(f"{self.where}: no answer in {self.timeout_s:g} s") from None

    def send(self, command: Any) -> Any:
        return self._call(self.driver.send(command))

    def close(self) -> None:
        driver = getattr(self, "driver", None)
        if driver is not None and self.loop.is_running():

            async def disconnect() -> None:
                driver.disconnect()

            asyncio.run_coroutine_threadsafe(disconnect(), self.loop).result(self.timeout_s)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(self.timeout_s)
        self.loop.close()


class DaliBus:
    """The station's DALI interface on ``port``, through python-dali's driver for it."""

    def __init__(self, port: str, *, interface: str = "atxled", timeout_s: float = 2.0) -> None:
        if interface not in DALI_INTERFACES:
            raise DaliError(f"DALI interface {interface!r}: not one of {list(DALI_INTERFACES)}")
        self.port = port
        self.interface = interface
        self._lock = threading.Lock()
        where = f"DALI interface {interface} on {port}"
        if interface == "tridonic":
            from dali.driver.hid import tridonic

            if not os.path.exists(port):
                raise DaliError(f"{where}: [Errno 2] No such file or directory: {port!r}")
            self._driver: Any = _AsyncDriver(
                lambda: tridonic(port, reconnect_limit=0), where, timeout_s
            )
            return
        import serial

        try:  # python-dali's driver logs and swallows an open error: check the port first
            serial.Serial(port, 19200, timeout=0.2).close()
        except (OSError, serial.SerialException) as exc:
            raise DaliError(f"{where}: {exc}") from None
        from dali.driver.atxled import SyncDaliHatDriver

        self._driver = SyncDaliHatDriver(port, LOG=log)
        if self._driver.conn is None:
            raise DaliError(f"{where}: cannot open the port")

    def send(self, command: Any) -> Any:
        """Send a python-dali ``command``; return its response (None for a command)."""
        from dali.exceptions import DALIError

        with self._lock:
            try:
                return self._driver.send(command)
            except DaliError:
                raise
            except (OSError, ValueError, DALIError) as exc:
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
