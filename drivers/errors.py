"""Driver exceptions. Each names the device, its address and the register involved."""

from __future__ import annotations

from benchscore.errors import SurroundingsError


class DriverError(SurroundingsError):
    """Root of every driver error."""


class BusError(DriverError, OSError):
    """A bus transaction failed (NACK, timeout, unplugged sensor)."""

    def __init__(self, device: str, address: int, register: int | None, cause: BaseException):
        where = f"{device} at 0x{address:02X}"
        if register is not None:
            where += f" register 0x{register:02X}"
        errno = getattr(cause, "errno", None)
        super().__init__(errno, f"{where}: {cause}")
        self.device = device
        self.address = address
        self.register = register

    def __str__(self) -> str:
        return str(self.args[1])


class DeviceMismatch(DriverError, LookupError):
    """The chip at an address does not identify as the one configured."""


class ReadingOutOfRange(DriverError, ValueError):
    """A reading is saturated or outside what the chip can measure."""
