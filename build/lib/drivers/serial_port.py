"""Serial seam: ports opened by URL, and a small base class for instruments that speak over them.

:func:`open_port` hands any pyserial URL to ``serial.serial_for_url``: a device path
(``/dev/ttyUSB0``), a pty slave path from :class:`benchscore.sim.serial_sim.PtyInstrument`,
``socket://host:port`` or ``loop://``. pyserial is imported only when a port is opened, so
modules that merely import a driver need no serial stack.

:class:`Instrument` is what every serial driver builds on:

- ``write``/``query`` for line protocols (terminators per class), ``write_bytes``/``read_bytes``
  for binary ones; one lock per instrument, an optional quiet gap between commands (on the
  :class:`~benchscore.clock.Clock` seam), stale input discarded before each query;
- a reply that does not arrive raises :class:`InstrumentTimeout`, a reply that cannot be parsed
  raises :class:`InstrumentError`, a failing port raises :class:`PortError`; each names the
  instrument, the port and the command;
- idempotent :meth:`~Instrument.close` and a context manager; a port opened from a URL is
  closed with the instrument, a port object passed in (a shared RS-485 bus) is left open.

Driver classes list their settings declaratively, after pymeasure::

    class Load(Instrument):
        current_a = control(":CURR?", ":CURR {:g}", "Control the set-point in A.", in_range(0, 40))
        measured_voltage_v = measurement(":MEAS:VOLT?", "Measure the input voltage in V.")

Property docstrings begin with Control/Measure/Get/Set and name the unit of a numeric value;
``tests/test_serial_meta.py`` enforces it across every serial driver.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any, ClassVar, Final, Generic, Protocol, Self, TypeVar, overload

from benchscore.clock import Clock, RealClock
from drivers.errors import DriverError

T = TypeVar("T")
K = TypeVar("K")


# -- errors ---------------------------------------------------------------------------------
class InstrumentError(DriverError):
    """The instrument answered something the driver cannot use, or reported an error."""

    def __init__(self, instrument: str, port: str, command: str, reply: bytes | str, problem: str):
        super().__init__(
            f"{instrument} on {port}: {problem} (command {command!r}, reply {reply!r})"
        )
        self.instrument = instrument
        self.port = port
        self.command = command
        self.reply = reply


class InstrumentTimeout(DriverError, TimeoutError):
    """No complete reply arrived within the port timeout."""

    def __init__(
        self, instrument: str, port: str, command: str, timeout_s: float | None, received: bytes
    ):
        got = f"; got only {received!r}" if received else ""
        super().__init__(
            f"{instrument} on {port}: no complete reply to {command!r} within {timeout_s} s{got}"
        )
        self.instrument = instrument
        self.port = port
        self.command = command
        self.timeout_s = timeout_s
        self.received = received

    def __str__(self) -> str:
        return str(self.args[0])


class PortError(DriverError, OSError):
    """The serial port could not be opened, or failed (an unplugged USB adapter)."""

    def __init__(self, instrument: str, port: str, problem: str):
        super().__init__(f"{instrument} on {port}: {problem}")
        self.instrument = instrument
        self.port = port
        self.problem = problem

    def __str__(self) -> str:
        return str(self.args[0])


# -- the port -------------------------------------------------------------------------------
class SerialPort(Protocol):
    """What drivers use of a pyserial port; ``serial.SerialBase`` provides all of it."""

    port: str | None
    timeout: float | None
    is_open: bool

    def write(self, data: bytes, /) -> int | None: ...

    def read(self, size: int = 1, /) -> bytes: ...

    def read_until(self, expected: bytes = ..., size: int | None = None) -> bytes: ...

    def reset_input_buffer(self) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def open_port(
    url: str, *, baudrate: int = 9600, timeout_s: float = 1.0, **options: Any
) -> SerialPort:
    """Open ``url`` with ``serial.serial_for_url`` (8N1 unless ``options`` say otherwise).

    ``timeout_s`` bounds every read and write. Raises :class:`PortError` naming the URL when
    the port cannot be opened.
    """
    import serial  # lazy: only a station that drives serial instruments needs pyserial

    try:
        port: SerialPort = serial.serial_for_url(
            url, baudrate=baudrate, timeout=timeout_s, write_timeout=timeout_s, **options
        )
    except (OSError, ValueError) as exc:  # SerialException is an OSError
        raise PortError("serial port", url, f"cannot open: {exc}") from exc
    return port


def _port_errors() -> tuple[type[Exception], ...]:
    """What a failing port raises: OSError (pyserial's SerialException) and termios.error,
    which pyserial lets through from tcflush/tcsetattr on a vanished device."""
    try:
        import termios
    except ImportError:  # not a POSIX system
        return (OSError,)
    return (OSError, termios.error)


_PORT_ERRORS: Final = _port_errors()


# -- the instrument base --------------------------------------------------------------------
class Instrument:
    """Base of every serial instrument driver: a port, a name, a lock, safe I/O.

    ``port`` is a URL for :func:`open_port` (the instrument owns and closes it) or an open
    port object (the caller owns it, e.g. one RS-485 bus shared by several instruments).
    """

    default_name: ClassVar[str] = "instrument"
    baudrate: ClassVar[int] = 9600
    write_terminator: ClassVar[bytes] = b"\n"
    read_terminator: ClassVar[bytes] = b"\n"
    encoding: ClassVar[str] = "ascii"
    command_gap_s: ClassVar[float] = 0.0
    """Quiet time the instrument needs between commands (the KA3005P needs ~0.1 s)."""
    clear_input_before_query: ClassVar[bool] = True
    """Drop stale input (a stray byte, a second reply line) before each query."""

    def __init__(
        self,
        port: SerialPort | str,
        *,
        name: str | None = None,
        timeout_s: float = 1.0,
        baudrate: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.name = name or self.default_name
        self.lock = threading.RLock()
        self.clock: Clock = clock or RealClock()
        self._closed = False
        self._last_io: float | None = None
        if isinstance(port, str):
            try:
                self.port = open_port(port, baudrate=baudrate or self.baudrate, timeout_s=timeout_s)
            except PortError as exc:
                raise PortError(self.name, port, exc.problem) from exc.__cause__
            self._owns_port = True
            self.timeout_s: float | None = timeout_s
        else:
            self.port = port
            self._owns_port = False
            self.timeout_s = port.timeout

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def port_name(self) -> str:
        """Get the port's path or URL, for messages."""
        return str(getattr(self.port, "port", None) or "<port>")

    @property
    def closed(self) -> bool:
        """Get whether :meth:`close` has been called."""
        return self._closed

    def close(self) -> None:
        """Release the port if this instrument opened it; calling it again does nothing."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
            if self._owns_port:
                self.port.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = " closed" if self._closed else ""
        return f"<{type(self).__name__} {self.name!r} on {self.port_name}{state}>"

    # -- raw I/O -----------------------------------------------------------------------------
    @contextmanager
    def _io(self, command: str) -> Iterator[None]:
        """Turn a failing port call into a :class:`PortError` naming the command."""
        if self._closed:
            raise PortError(self.name, self.port_name, f"closed; cannot send {command!r}")
        try:
            yield
        except DriverError:
            raise
        except _PORT_ERRORS as exc:  # SerialException, termios.error, EIO on unplug
            raise PortError(self.name, self.port_name, f"{command!r} failed: {exc}") from exc

    def _wait_gap(self) -> None:
        if self.command_gap_s > 0 and self._last_io is not None:
            wait = self.command_gap_s - (self.clock.monotonic() - self._last_io)
            if wait > 0:
                self.clock.sleep(wait)

    def write_bytes(self, data: bytes, command: str | None = None) -> None:
        """Send ``data`` as is (after the command gap)."""
        label = command if command is not None else data.hex(" ")
        with self.lock, self._io(label):
            self._wait_gap()
            self.port.write(data)
            self.port.flush()
            self._last_io = self.clock.monotonic()

    def read_bytes(self, size: int, command: str) -> bytes:
        """Read exactly ``size`` bytes, or raise :class:`InstrumentTimeout`."""
        with self.lock, self._io(command):
            data = bytes(self.port.read(size))
            self._last_io = self.clock.monotonic()
        if len(data) < size:
            raise InstrumentTimeout(self.name, self.port_name, command, self.timeout_s, data)
        return data

    def read_until_quiet(self, command: str, quiet_s: float = 0.05, limit: int = 256) -> bytes:
        """Read a reply that has no terminator: the first byte, then until ``quiet_s`` passes
        with nothing more (on the instrument's clock) or a NUL arrives."""
        data = bytearray(self.read_bytes(1, command))
        with self.lock, self._io(command):
            while len(data) < limit and not data.endswith(b"\0"):
                self.clock.sleep(quiet_s)
                waiting = int(getattr(self.port, "in_waiting", 0))
                if not waiting:
                    break
                data += self.port.read(min(waiting, limit - len(data)))
            self._last_io = self.clock.monotonic()
        return bytes(data)

    def clear_input(self, command: str = "reset input") -> None:
        """Discard bytes received but not read (stale replies) before ``command``."""
        with self.lock, self._io(command):
            self.port.reset_input_buffer()

    # -- text protocol -----------------------------------------------------------------------
    def write(self, command: str) -> None:
        """Send one text command with the write terminator."""
        self.write_bytes(command.encode(self.encoding) + self.write_terminator, command)

    def read_line(self, command: str) -> str:
        """Read up to the read terminator; return the decoded text without it."""
        term = self.read_terminator
        with self.lock, self._io(command):
            data = bytes(self.port.read_until(term))
            self._last_io = self.clock.monotonic()
        if not data.endswith(term):
            raise InstrumentTimeout(self.name, self.port_name, command, self.timeout_s, data)
        return self.decode(data[: -len(term)], command)

    def decode(self, data: bytes, command: str) -> str:
        """Decode a reply; bytes outside the encoding raise :class:`InstrumentError`."""
        try:
            return data.decode(self.encoding).strip()
        except UnicodeDecodeError:
            raise self.reply_error(command, data, f"reply is not {self.encoding}") from None

    def _read_reply(self, command: str) -> str:
        """Read the reply to ``command``; override for protocols without a terminator."""
        return self.read_line(command)

    def query(self, command: str) -> str:
        """Send ``command`` and return its reply text."""
        with self.lock:
            if self.clear_input_before_query:
                self.clear_input(command)
            self.write(command)
            return self._read_reply(command)

    def query_value(self, command: str, cast: Callable[[str], T]) -> T:
        """Send ``command`` and parse its reply with ``cast`` (a failure names the reply)."""
        reply = self.query(command)
        try:
            return cast(reply)
        except (ValueError, TypeError, KeyError) as exc:
            raise self.reply_error(command, reply, f"cannot parse reply: {exc}") from exc

    def reply_error(self, command: str, reply: bytes | str, problem: str) -> InstrumentError:
        """Build the :class:`InstrumentError` for a bad reply to ``command``."""
        return InstrumentError(self.name, self.port_name, command, reply, problem)


# -- declarative properties -----------------------------------------------------------------
class Measurement(Generic[T]):
    """A read-only instrument property: ``get_cmd`` is queried, the reply parsed by ``cast``."""

    def __init__(self, get_cmd: str, doc: str, cast: Callable[[str], T]) -> None:
        self.get_cmd = get_cmd
        self.cast = cast
        self.__doc__ = doc
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Measurement[T]: ...

    @overload
    def __get__(self, obj: Instrument, owner: type | None = None) -> T: ...

    def __get__(self, obj: Instrument | None, owner: type | None = None) -> Measurement[T] | T:
        if obj is None:
            return self
        return obj.query_value(self.get_cmd, self.cast)


class Control(Measurement[T]):
    """A read-write instrument property.

    Setting validates the value with ``validator`` (which returns the token to send and raises
    ``ValueError`` for a bad value) and sends ``set_cmd.format(token)``.
    """

    def __init__(
        self,
        get_cmd: str,
        set_cmd: str,
        doc: str,
        validator: Callable[[Any], object] | None,
        cast: Callable[[str], T],
    ) -> None:
        super().__init__(get_cmd, doc, cast)
        self.set_cmd = set_cmd
        self.validator = validator

    def __set__(self, obj: Instrument, value: T) -> None:
        token: object = value
        if self.validator is not None:
            try:
                token = self.validator(value)
            except ValueError as exc:
                raise ValueError(f"{obj.name}.{self.name}: {exc}") from None
        obj.write(self.set_cmd.format(token))


@overload
def measurement(get_cmd: str, doc: str) -> Measurement[float]: ...


@overload
def measurement(get_cmd: str, doc: str, cast: Callable[[str], T]) -> Measurement[T]: ...


def measurement(get_cmd: str, doc: str, cast: Callable[[str], Any] = float) -> Measurement[Any]:
    """Declare a read-only property (``cast`` defaults to ``float``)."""
    return Measurement(get_cmd, doc, cast)


@overload
def control(
    get_cmd: str, set_cmd: str, doc: str, validator: Callable[[Any], object] | None = None
) -> Control[float]: ...


@overload
def control(
    get_cmd: str,
    set_cmd: str,
    doc: str,
    validator: Callable[[Any], object] | None = None,
    *,
    cast: Callable[[str], T],
) -> Control[T]: ...


def control(
    get_cmd: str,
    set_cmd: str,
    doc: str,
    validator: Callable[[Any], object] | None = None,
    *,
    cast: Callable[[str], Any] = float,
) -> Control[Any]:
    """Declare a read-write property (``cast`` defaults to ``float``)."""
    return Control(get_cmd, set_cmd, doc, validator, cast)


# -- validators and casts -------------------------------------------------------------------
def in_range(low: float, high: float) -> Callable[[float], float]:
    """Validator: accept a real number in ``[low, high]`` and return it as a float."""

    def validate(value: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        number = float(value)
        if math.isnan(number) or not low <= number <= high:
            raise ValueError(f"{value!r} is outside {low:g} to {high:g}")
        return number

    return validate


def one_of(choices: Mapping[K, str]) -> Callable[[K], str]:
    """Validator: accept a key of ``choices`` and return the command token it maps to."""

    def validate(value: K) -> str:
        try:
            return choices[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not one of {sorted(map(str, choices))}") from None

    return validate


def on_off(value: bool) -> str:
    """Validator: ``True`` -> ``ON``, ``False`` -> ``OFF`` (only bools are accepted)."""
    if not isinstance(value, bool):
        raise ValueError(f"{value!r} is not True or False")
    return "ON" if value else "OFF"


def parse_bool(reply: str) -> bool:
    """Cast: ``1``/``ON`` -> ``True``, ``0``/``OFF`` -> ``False``."""
    token = reply.strip().upper()
    if token in ("1", "ON"):
        return True
    if token in ("0", "OFF"):
        return False
    raise ValueError(f"{reply!r} is not 0/1/ON/OFF")


def choice(*allowed: str) -> Callable[[str], str]:
    """Cast: accept one of ``allowed`` replies (case-insensitive), return it upper-cased."""

    def cast(reply: str) -> str:
        token = reply.strip().upper()
        if token not in allowed:
            raise ValueError(f"{reply!r} is not one of {list(allowed)}")
        return token

    return cast


__all__ = [
    "Control",
    "Instrument",
    "InstrumentError",
    "InstrumentTimeout",
    "Measurement",
    "PortError",
    "SerialPort",
    "choice",
    "control",
    "in_range",
    "measurement",
    "on_off",
    "one_of",
    "open_port",
    "parse_bool",
]
