"""Fault injection on the simulated I2C bus: a wrapper around any simulated chip.

:func:`inject` swaps the chip at an address of a :class:`~benchscore.sim.i2c.SimI2CBus` for a
:class:`FaultyDevice` that forwards every transaction to it until told otherwise::

    faulty = inject(bus, 0x40, clock=clock)
    faulty.nack_next(2)                 # the next two transactions are not acknowledged
    faulty.nack_storm(0.5)              # every transaction NACKs for 0.5 s of clock time
    faulty.nack_randomly(0.1)           # each transaction NACKs with p = 0.1 (seeded)
    faulty.stick()                      # each register keeps returning what it returned last
    faulty.out_of_range(b"\\xff")        # reads return all-0xFF bytes
    faulty.unplug(at_s=10.0, replug_at_s=12.0)
    faulty.clear()                      # every fault off, plugged in
    remove(bus, 0x40)                   # the original chip back on the bus

A NACK is the error Linux i2c-dev gives, ``OSError(errno.EREMOTEIO)`` (121), raised at the
address byte: the chip behind sees nothing of that transaction. Decisions are made once per
transaction (from its first message to its STOP). Times are seconds on the injected
:class:`~benchscore.clock.Clock`'s ``monotonic()``.

"Register" here is the first byte of the most recent write the chip saw: the pointer of a
pointer-based chip (INA226, ADS1115), the last opcode of an opcode chip (BH1750), the command
byte of a chip with a command bit (TCS34725: ``0xA0 | reg``).

Serial instruments have their own faults on :class:`benchscore.sim.serial_sim.PtyInstrument`
(``fault = "timeout" | "garbage"``, from the ``fault_after``-th answered request on, for
``fault_for`` replies).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from benchscore.clock import Clock
from benchscore.sim.i2c import SimI2CBus, SimI2CDevice, nack

__all__ = ["FaultyDevice", "inject", "remove"]


@dataclass
class _Storm:
    start_s: float
    end_s: float
    probability: float


class FaultyDevice(SimI2CDevice):
    """A simulated chip with faults injected between it and the bus.

    ``address`` is where it sits (it names the NACK). ``clock`` is needed for storms and for
    scheduled unplug/replug; ``seed`` makes random NACKs reproducible. ``fresh`` builds a new
    chip at power-on state: when given, a replug puts a fresh chip on the bus (the real one
    lost power and its configuration); without it the chip keeps its state (only the bus
    wires were disconnected).
    """

    def __init__(
        self,
        device: SimI2CDevice,
        address: int,
        *,
        clock: Clock | None = None,
        seed: int = 0,
        fresh: Callable[[], SimI2CDevice] | None = None,
    ) -> None:
        self.device = device
        """The chip behind the faults (replaced by ``fresh()`` at a replug)."""
        self.address = address
        self.clock = clock
        self.fresh = fresh
        self._rng = random.Random(seed)
        self._nack_count = 0
        self._probability = 0.0
        self._storms: list[_Storm] = []
        self._stuck = False
        self._pattern: bytes | None = None
        self._pattern_registers: frozenset[int] | None = None
        self._plugged = True
        self._plug_events: list[tuple[float, bool]] = []
        self._in_transaction = False
        self._nacking = False
        self._pointer: int | None = None
        self._memory: dict[tuple[int | None, int], bytes] = {}
        self.transactions = 0
        """Transactions addressed to this chip (NACKed ones included)."""
        self.nacks = 0
        """Transactions this wrapper NACKed."""

    # -- controls --------------------------------------------------------------------------
    def nack_next(self, count: int = 1) -> None:
        """NACK the next ``count`` transactions (added to any still pending)."""
        if count < 0:
            raise ValueError(f"count {count} must be >= 0")
        self._nack_count += count

    def nack_randomly(self, probability: float) -> None:
        """NACK each transaction with ``probability`` (0 turns it off), from the seeded RNG."""
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} outside 0..1")
        self._probability = probability

    def nack_storm(
        self, duration_s: float, *, start_s: float | None = None, probability: float = 1.0
    ) -> None:
        """NACK transactions (each with ``probability``) for ``duration_s`` seconds of clock
        time from ``start_s`` (clock ``monotonic()``; now when None)."""
        clock = self._need_clock("a NACK storm")
        if duration_s < 0:
            raise ValueError(f"duration {duration_s} s must be >= 0")
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability {probability} outside 0..1")
        start = clock.monotonic() if start_s is None else start_s
        self._storms.append(_Storm(start, start + duration_s, probability))

    def stick(self, stuck: bool = True) -> None:
        """Freeze (or thaw) the readings: every read returns the bytes the same register gave
        last time, without reaching the chip (writes still do). A register never read before
        reads through once."""
        self._stuck = stuck

    def out_of_range(
        self, pattern: bytes | None = b"\xff", *, registers: Iterable[int] | None = None
    ) -> None:
        """Replace read bytes with ``pattern`` repeated (all-0xFF by default; ``b"\\x7f\\xff"``
        is a saturated positive big-endian word); only for ``registers`` when given. The chip
        still sees the read (its side effects happen). ``None`` turns it off."""
        if pattern is not None and not pattern:
            raise ValueError("pattern must not be empty")
        self._pattern = pattern
        self._pattern_registers = None if registers is None else frozenset(registers)

    def unplug(self, *, at_s: float | None = None, replug_at_s: float | None = None) -> None:
        """Unplug now (or at clock time ``at_s``); replug at ``replug_at_s`` if given."""
        if at_s is None:
            self._set_plugged(False)
        else:
            self._schedule(at_s, False)
        if replug_at_s is not None:
            self._schedule(replug_at_s, True)

    def replug(self, *, at_s: float | None = None) -> None:
        """Plug back in now (or at clock time ``at_s``); a fresh chip if ``fresh`` was given."""
        if at_s is None:
            self._set_plugged(True)
        else:
            self._schedule(at_s, True)

    @property
    def plugged(self) -> bool:
        """Whether the chip is on the bus now (scheduled events applied)."""
        self._apply_plug_events()
        return self._plugged

    def clear(self) -> None:
        """Turn every fault off and plug the chip in (a fresh one if it was unplugged)."""
        self._nack_count = 0
        self._probability = 0.0
        self._storms.clear()
        self._stuck = False
        self._pattern = None
        self._pattern_registers = None
        self._plug_events.clear()
        self._set_plugged(True)

    # -- internals -------------------------------------------------------------------------
    def _need_clock(self, what: str) -> Clock:
        if self.clock is None:
            raise ValueError(f"{what} needs the clock: inject(..., clock=clock)")
        return self.clock

    def _schedule(self, at_s: float, plugged: bool) -> None:
        self._need_clock("a scheduled unplug or replug")
        self._plug_events.append((at_s, plugged))
        self._plug_events.sort(key=lambda e: e[0])

    def _set_plugged(self, plugged: bool) -> None:
        if plugged and not self._plugged and self.fresh is not None:
            self.device = self.fresh()
            self._memory.clear()
            self._pointer = None
        self._plugged = plugged

    def _apply_plug_events(self) -> None:
        if not self._plug_events or self.clock is None:
            return
        now = self.clock.monotonic()
        while self._plug_events and self._plug_events[0][0] <= now:
            _, plugged = self._plug_events.pop(0)
            self._set_plugged(plugged)

    def _decide_nack(self) -> bool:
        self._apply_plug_events()
        if not self._plugged:
            return True
        if self._nack_count > 0:
            self._nack_count -= 1
            return True
        if self._storms and self.clock is not None:
            now = self.clock.monotonic()
            self._storms = [s for s in self._storms if s.end_s > now]
            for storm in self._storms:
                if storm.start_s <= now and self._rng.random() < storm.probability:
                    return True
        return self._probability > 0.0 and self._rng.random() < self._probability

    def _begin(self) -> None:
        if self._in_transaction:
            if self._nacking:
                raise nack(self.address)
            return
        self._in_transaction = True
        self.transactions += 1
        self._nacking = self._decide_nack()
        if self._nacking:
            self.nacks += 1
            raise nack(self.address)

    # -- wire ------------------------------------------------------------------------------
    def on_write(self, data: bytes) -> None:
        self._begin()
        if data:
            self._pointer = data[0]
        self.device.on_write(data)

    def on_read(self, length: int) -> bytes:
        self._begin()
        key = (self._pointer, length)
        if self._stuck and key in self._memory:
            out = self._memory[key]
        else:
            out = bytes(self.device.on_read(length))
            self._memory[key] = out
        pattern = self._pattern
        if pattern is not None and (
            self._pattern_registers is None or self._pointer in self._pattern_registers
        ):
            out = (pattern * (length // len(pattern) + 1))[:length]
        return out

    def on_stop(self) -> None:
        nacked = self._nacking
        self._in_transaction = False
        self._nacking = False
        if not nacked:
            self.device.on_stop()


def inject(
    bus: SimI2CBus,
    address: int,
    *,
    clock: Clock | None = None,
    seed: int = 0,
    fresh: Callable[[], SimI2CDevice] | None = None,
) -> FaultyDevice:
    """Wrap the chip at ``address`` of ``bus`` in a :class:`FaultyDevice`, in place.

    Drivers already talking to that address go on working through the wrapper. If the chip is
    already wrapped, the existing wrapper is returned (``clock``/``fresh`` set if given).
    Raises LookupError if no chip sits at ``address``.
    """
    current = bus.devices.get(address)
    if current is None:
        raise LookupError(f"no simulated chip at 0x{address:02X} to inject faults into")
    if isinstance(current, FaultyDevice):
        if clock is not None:
            current.clock = clock
        if fresh is not None:
            current.fresh = fresh
        return current
    wrapper = FaultyDevice(current, address, clock=clock, seed=seed, fresh=fresh)
    with bus.lock:
        bus.detach(address)
        bus.attach(address, wrapper)
    return wrapper


def remove(bus: SimI2CBus, address: int) -> SimI2CDevice:
    """Put the chip behind the :class:`FaultyDevice` at ``address`` back on the bus; return it."""
    current = bus.devices.get(address)
    if not isinstance(current, FaultyDevice):
        raise LookupError(f"no fault injector at 0x{address:02X}")
    with bus.lock:
        bus.detach(address)
        bus.attach(address, current.device)
    return current.device
