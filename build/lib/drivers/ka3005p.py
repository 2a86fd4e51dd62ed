"""Korad KA3005P bench supply (and its rebrands: Tenma 72-2540, Velleman PS3005D, RND 320-...).

9600 8N1, **no terminator in either direction**: the supply ends a command by silence, so the
driver leaves ``command_gap_s`` (0.1 s, as py-korad-serial does) between commands, and reads
fixed-length replies: ``VSET1?``/``ISET1?``/``VOUT1?``/``IOUT1?`` answer 5 characters,
``STATUS?`` one raw byte, ``*IDN?`` a string that may end in NUL. Some firmware sends a stray
6th character after ``ISET1?``; it is dropped with the rest of the stale input before the next
query. Source: ``devices.md`` §5.4, starforgelabs/py-korad-serial.

Example::

    with KA3005P("/dev/ttyACM0") as psu:
        psu.voltage_v = 5.0
        psu.current_a = 1.0
        psu.output_enabled = True
        volts, amps = psu.measured_voltage_v, psu.measured_current_a
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from drivers.serial_port import Instrument, control, in_range, measurement

REPLY_LENGTHS: Final = {"VSET1?": 5, "ISET1?": 5, "VOUT1?": 5, "IOUT1?": 5, "STATUS?": 1}
"""Fixed reply length per query; a query not listed here is read until quiet or NUL."""

STATUS_CV: Final = 0x01
STATUS_BEEP: Final = 0x10
STATUS_LOCK_BIT: Final = 0x20
STATUS_OUTPUT: Final = 0x40


@dataclass(frozen=True)
class KA3005PStatus:
    """The ``STATUS?`` byte, decoded."""

    raw: int

    @property
    def constant_voltage(self) -> bool:
        """True in CV mode, False in CC mode (bit 0)."""
        return bool(self.raw & STATUS_CV)

    @property
    def output_on(self) -> bool:
        return bool(self.raw & STATUS_OUTPUT)

    @property
    def beep(self) -> bool:
        return bool(self.raw & STATUS_BEEP)

    @property
    def lock_bit(self) -> bool:
        """Bit 5, the panel lock; sources disagree on its polarity [verify]."""
        return bool(self.raw & STATUS_LOCK_BIT)


def _switch(prefix: str, enabled: bool) -> str:
    if not isinstance(enabled, bool):
        raise ValueError(f"{enabled!r} is not True or False")
    return f"{prefix}{1 if enabled else 0}"


class KA3005P(Instrument):
    """Korad KA3005P 30 V / 5 A single-channel bench supply."""

    default_name = "Korad KA3005P"
    baudrate = 9600
    write_terminator = b""
    read_terminator = b""
    command_gap_s = 0.1

    identity = measurement(
        "*IDN?", "Get the identity string, e.g. 'KORAD KA3005P V5.8 SN:...'.", str
    )
    voltage_v = control(
        "VSET1?",
        "VSET1:{:05.2f}",
        "Control the output voltage set-point in V (0 to 30 V, 10 mV steps).",
        in_range(0, 30),
    )
    current_a = control(
        "ISET1?",
        "ISET1:{:05.3f}",
        "Control the output current limit in A (0 to 5 A, 1 mA steps).",
        in_range(0, 5),
    )
    measured_voltage_v = measurement("VOUT1?", "Measure the output voltage in V.")
    measured_current_a = measurement("IOUT1?", "Measure the output current in A.")

    def _read_reply(self, command: str) -> str:
        length = REPLY_LENGTHS.get(command)
        if length is None:
            return self.decode(self.read_until_quiet(command).rstrip(b"\0"), command)
        return self.decode(self.read_bytes(length, command), command)

    def status(self) -> KA3005PStatus:
        """Read the ``STATUS?`` byte (CV/CC, beep, lock, output)."""
        with self.lock:
            self.clear_input("STATUS?")
            self.write("STATUS?")
            return KA3005PStatus(self.read_bytes(1, "STATUS?")[0])

    @property
    def output_enabled(self) -> bool:
        """Control whether the output is on (read from ``STATUS?`` bit 6)."""
        return self.status().output_on

    @output_enabled.setter
    def output_enabled(self, enabled: bool) -> None:
        self.write(_switch("OUT", enabled))

    @property
    def constant_current(self) -> bool:
        """Get whether the supply is limiting current (CC) rather than regulating voltage."""
        return not self.status().constant_voltage

    def set_ocp(self, enabled: bool) -> None:
        """Arm (``OCP1``) or disarm (``OCP0``) over-current protection: the output switches
        off instead of entering CC."""
        self.write(_switch("OCP", enabled))

    def set_ovp(self, enabled: bool) -> None:
        """Arm (``OVP1``) or disarm (``OVP0``) over-voltage protection."""
        self.write(_switch("OVP", enabled))

    def set_beep(self, enabled: bool) -> None:
        """Turn the key beep on (``BEEP1``) or off (``BEEP0``)."""
        self.write(_switch("BEEP", enabled))

    def save(self, slot: int) -> None:
        """Store the set-points in memory ``slot`` (1-5)."""
        self.write(f"SAV{_slot(slot)}")

    def recall(self, slot: int) -> None:
        """Load the set-points from memory ``slot`` (1-5)."""
        self.write(f"RCL{_slot(slot)}")


def _slot(slot: int) -> int:
    if isinstance(slot, bool) or slot not in range(1, 6):
        raise ValueError(f"memory slot {slot!r} is outside 1 to 5")
    return slot


__all__ = ["KA3005P", "KA3005PStatus", "REPLY_LENGTHS"]
