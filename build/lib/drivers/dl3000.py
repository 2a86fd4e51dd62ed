"""Rigol DL3021 / DL3031 DC electronic load over SCPI (RS-232 or a USB-serial adapter).

Commands are those of the DL3000 Programming Guide as ``devices.md`` §5.1 lists them, sent in
their short forms with every node spelled out (``:SOUR:CURR:LEV:IMM 1.5``). Terminator ``\\n``
both ways. Quirks handled: ``:SOUR:FUNC?`` answers ``CC``/``CV``/``CR``/``CP`` although the
command takes ``CURR``/``VOLT``/``RES``/``POW``; ``:SOUR:INP:STAT?`` answers ``0``/``1``; some
units follow a reply with a second line (``0.000067\\n0``), so only the first line is used and
stale input is dropped before the next query. ``:MEAS:CAP?`` is read as mAh and ``:MEAS:WATT?``
as Wh, the units the battery-test screen shows [verify against the Programming Guide].

Example::

    with DL3021("/dev/ttyUSB0") as load:
        load.mode = "CC"
        load.current_a = 1.0
        load.input_enabled = True
        volts = load.measured_voltage_v
"""

from __future__ import annotations

from typing import ClassVar

from drivers.errors import DeviceMismatch
from drivers.serial_port import (
    Instrument,
    choice,
    control,
    in_range,
    measurement,
    on_off,
    one_of,
    parse_bool,
)

MODES: dict[str, str] = {"CC": "CURR", "CV": "VOLT", "CR": "RES", "CP": "POW"}
"""Static mode as ``:SOUR:FUNC?`` reports it -> the token ``:SOUR:FUNC`` takes."""


class DL3021(Instrument):
    """Rigol DL3021 (150 V, 40 A, 200 W) electronic load."""

    default_name = "Rigol DL3021"
    model: ClassVar[str] = "DL3021"
    baudrate = 9600  # set on the instrument (Utility > I/O); must match [verify the default]
    write_terminator = b"\n"
    read_terminator = b"\n"

    identity = measurement("*IDN?", "Get the identity: maker, model, serial, firmware.", str)
    mode = control(
        ":SOUR:FUNC?",
        ":SOUR:FUNC {}",
        "Control the static mode: 'CC' current, 'CV' voltage, 'CR' resistance, 'CP' power.",
        one_of(MODES),
        cast=choice(*MODES),
    )
    current_a = control(
        ":SOUR:CURR:LEV:IMM?",
        ":SOUR:CURR:LEV:IMM {:g}",
        "Control the CC set-point in A (0 to 40 A).",
        in_range(0, 40),
    )
    voltage_v = control(
        ":SOUR:VOLT:LEV:IMM?",
        ":SOUR:VOLT:LEV:IMM {:g}",
        "Control the CV set-point in V (0 to 150 V).",
        in_range(0, 150),
    )
    resistance_ohm = control(
        ":SOUR:RES:LEV:IMM?",
        ":SOUR:RES:LEV:IMM {:g}",
        "Control the CR set-point in ohm (0.08 to 15000 ohm).",
        in_range(0.08, 15000),
    )
    power_w = control(
        ":SOUR:POW:LEV:IMM?",
        ":SOUR:POW:LEV:IMM {:g}",
        "Control the CP set-point in W (0 to 200 W).",
        in_range(0, 200),
    )
    input_enabled = control(
        ":SOUR:INP:STAT?",
        ":SOUR:INP:STAT {}",
        "Control whether the input sinks current (True = ON).",
        on_off,
        cast=parse_bool,
    )
    measured_voltage_v = measurement(":MEAS:VOLT?", "Measure the input voltage in V.")
    measured_current_a = measurement(":MEAS:CURR?", "Measure the input current in A.")
    measured_power_w = measurement(":MEAS:POW?", "Measure the input power in W.")
    measured_resistance_ohm = measurement(
        ":MEAS:RES?", "Measure the input resistance (voltage over current) in ohm."
    )
    capacity_mah = measurement(
        ":MEAS:CAP?", "Measure the charge discharged since the input turned on, in mAh."
    )
    energy_wh = measurement(
        ":MEAS:WATT?", "Measure the energy discharged since the input turned on, in Wh."
    )

    def reset(self) -> None:
        """Send ``*RST``: CC mode, input off, default set-points."""
        self.write("*RST")

    def next_error(self) -> tuple[int, str]:
        """Pop the oldest entry of the SCPI error queue as ``(code, message)``; 0 = none."""
        reply = self.query(":SYST:ERR?")
        code, _, message = reply.partition(",")
        try:
            return int(code), message.strip().strip('"')
        except ValueError:
            raise self.reply_error(":SYST:ERR?", reply, "not '<code>,\"<message>\"'") from None

    def verify_identity(self) -> str:
        """Query ``*IDN?``; raise :class:`DeviceMismatch` unless it is this Rigol model."""
        identity = self.identity
        fields = identity.split(",")
        if len(fields) < 2 or "RIGOL" not in fields[0].upper() or fields[1] != self.model:
            raise DeviceMismatch(f"{self.name} on {self.port_name} identifies as {identity!r}")
        return identity


class DL3031(DL3021):
    """Rigol DL3031 (150 V, 60 A, 350 W) electronic load."""

    default_name = "Rigol DL3031"
    model = "DL3031"

    current_a = control(
        ":SOUR:CURR:LEV:IMM?",
        ":SOUR:CURR:LEV:IMM {:g}",
        "Control the CC set-point in A (0 to 60 A).",
        in_range(0, 60),
    )
    power_w = control(
        ":SOUR:POW:LEV:IMM?",
        ":SOUR:POW:LEV:IMM {:g}",
        "Control the CP set-point in W (0 to 350 W).",
        in_range(0, 350),
    )


__all__ = ["DL3021", "DL3031", "MODES"]
