"""Simulated serial instruments behind real pseudo-terminals.

:class:`PtyInstrument` opens a pty pair (``tty.setraw`` on both ends) and runs a
:class:`SerialSimulator` on the master side in a thread. A driver opens :attr:`PtyInstrument.port`
(``/dev/pts/N``) exactly as it would open ``/dev/ttyUSB0``, so pyserial, termios, timeouts and
byte timing are the real ones. Every request and reply is recorded for tests, and faults can be
injected while running: ``"timeout"`` (the instrument stops answering) and ``"garbage"`` (it
answers random bytes of the right length, terminator kept). ``fault_after`` lets that many
requests be answered first, ``fault_for`` ends the fault after that many faulty replies::

    with PtyInstrument(sim, fault="timeout", fault_after=3) as pty:
        ...  # three queries answered, then silence

:class:`ScriptedPeer` is the ``expected_protocol`` of this project: a simulator scripted with
(request, reply) byte pairs that records any unexpected byte; :func:`scripted` runs one on a pty
and asserts on exit that every pair was used and nothing else was sent::

    with scripted([(b"*IDN?\\n", b"RIGOL TECHNOLOGIES,DL3021,X,1\\n")]) as pty:
        with DL3021(pty.port) as load:
            assert load.identity.startswith("RIGOL")
"""

from __future__ import annotations

import os
import random
import select
import threading
import tty
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Literal, Self

Fault = Literal["timeout", "garbage"]


@dataclass(frozen=True)
class Exchange:
    """One request the simulator framed and the bytes it sent back (``b""`` for none)."""

    request: bytes
    reply: bytes


class SerialSimulator(ABC):
    """A simulated instrument: it sees the bytes a driver wrote and returns what it answers.

    Subclasses say where a request ends (:meth:`frame_length`) and answer one request
    (:meth:`handle`); the base class keeps the receive buffer and the lock.
    """

    reply_terminator: ClassVar[bytes] = b""
    """Ends every reply (``b"\\n"`` for SCPI); the garbage fault keeps it so framing holds."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._pending = bytearray()

    @property
    def pending(self) -> bytes:
        """Bytes received that do not yet form a complete request."""
        with self.lock:
            return bytes(self._pending)

    def receive(self, data: bytes, *, idle: bool = False) -> list[Exchange]:
        """Take bytes from the line; return the exchanges for every request they complete.

        ``idle=True`` means the line has been quiet, which ends a request in protocols
        without terminators (and lets a simulator drop a partial frame).
        """
        exchanges: list[Exchange] = []
        with self.lock:
            self._pending += data
            while self._pending:
                length = self.frame_length(bytes(self._pending), idle)
                if not length:
                    break
                request = bytes(self._pending[:length])
                del self._pending[:length]
                exchanges.append(Exchange(request, self.handle(request)))
        return exchanges

    @abstractmethod
    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        """Return how many leading bytes of ``buffer`` form one request (junk counts as a
        request that :meth:`handle` ignores), or ``None`` to wait for more bytes."""

    @abstractmethod
    def handle(self, request: bytes) -> bytes:
        """Answer one request; return the reply bytes (``b""`` for none)."""


class ScriptedPeer(SerialSimulator):
    """A peer that expects exactly ``pairs`` of (request, reply) bytes, in order.

    Anything else is recorded in :attr:`errors` and not answered; :meth:`assert_complete`
    fails if a pair is left over, a byte was unexpected, or a request is half sent.
    """

    def __init__(self, pairs: Sequence[tuple[bytes, bytes]]) -> None:
        super().__init__()
        self.remaining = list(pairs)
        self.errors: list[str] = []

    def frame_length(self, buffer: bytes, idle: bool) -> int | None:
        if not self.remaining:
            return len(buffer)
        expected = self.remaining[0][0]
        if buffer.startswith(expected):
            return len(expected)
        if expected.startswith(buffer):
            return None
        return len(buffer)

    def handle(self, request: bytes) -> bytes:
        if self.remaining and request == self.remaining[0][0]:
            return self.remaining.pop(0)[1]
        expected = self.remaining[0][0] if self.remaining else b"nothing"
        self.errors.append(f"unexpected {request!r}, expected {expected!r}")
        return b""

    def assert_complete(self) -> None:
        """Raise ``AssertionError`` unless the script ran exactly."""
        problems = list(self.errors)
        if self.pending:
            problems.append(f"incomplete request {self.pending!r}")
        if self.remaining:
            problems.append(f"unused pairs {self.remaining!r}")
        if problems:
            raise AssertionError("scripted peer: " + "; ".join(problems))


class PtyInstrument:
    """Runs ``simulator`` on the master side of a pty; drivers open :attr:`port`.

    ``idle_s`` is how long the line must be quiet to count as idle. ``start()`` and ``stop()``
    are idempotent; the object is a context manager.

    Faults act on replies (a request the instrument does not answer, such as a set command,
    is neither answered nor faulted). :attr:`fault` may be set at any time; from then on,
    :attr:`fault_after` replies go out intact, then the fault hits every reply, or only the
    next :attr:`fault_for` ones if that is not None (after which replies are intact again).
    Setting :attr:`fault` starts that count afresh.
    """

    def __init__(
        self,
        simulator: SerialSimulator,
        *,
        idle_s: float = 0.02,
        garbage_seed: int = 0,
        fault: Fault | None = None,
        fault_after: int = 0,
        fault_for: int | None = None,
    ) -> None:
        if fault_after < 0:
            raise ValueError(f"fault_after must be >= 0, got {fault_after}")
        if fault_for is not None and fault_for < 0:
            raise ValueError(f"fault_for must be None or >= 0, got {fault_for}")
        self.simulator = simulator
        self.idle_s = idle_s
        self.fault_after = fault_after
        """Replies answered intact after :attr:`fault` is set, before the fault applies."""
        self.fault_for = fault_for
        """How many replies the fault hits before replies are intact again (None: all)."""
        self.port = ""
        self._rng = random.Random(garbage_seed)
        self._lock = threading.Condition()
        self._fault: Fault | None = fault
        self._answered_since_fault = 0
        self._fault_count = 0
        self._received = bytearray()
        self._sent = bytearray()
        self._exchanges: list[Exchange] = []
        self._errors: list[BaseException] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._fds: tuple[int, int, int, int] | None = None  # master, slave, wake_r, wake_w
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Self:
        """Open the pty and start answering; calling it again does nothing."""
        if self._stopped:
            raise RuntimeError("a stopped PtyInstrument cannot be restarted; make a new one")
        if self._thread is not None:
            return self
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        wake_r, wake_w = os.pipe()
        self._fds = (master, slave, wake_r, wake_w)
        # The slave stays open here too, so the master never sees EIO between driver opens.
        self.port = os.ttyname(slave)
        self._thread = threading.Thread(
            target=self._run, name=f"pty-sim {type(self.simulator).__name__}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the pty; calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._fds is None:
            return
        os.write(self._fds[3], b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in self._fds:
            os.close(fd)
        self._fds = None

    @property
    def running(self) -> bool:
        """Whether the simulator thread is answering."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        if et is None and self._errors:
            raise RuntimeError(f"simulator failed: {self._errors[0]!r}") from self._errors[0]

    # -- faults ------------------------------------------------------------------------------
    @property
    def fault(self) -> Fault | None:
        """The fault injected into replies (None: none); setting it restarts the counts."""
        return self._fault

    @fault.setter
    def fault(self, fault: Fault | None) -> None:
        with self._lock:
            self._fault = fault
            self._answered_since_fault = 0
            self._fault_count = 0

    @property
    def fault_count(self) -> int:
        """How many replies the present fault has hit since it was set."""
        with self._lock:
            return self._fault_count

    # -- records -----------------------------------------------------------------------------
    @property
    def received(self) -> bytes:
        """Every byte the driver wrote, in order."""
        with self._lock:
            return bytes(self._received)

    @property
    def sent(self) -> bytes:
        """Every byte the simulator answered, in order (after fault injection)."""
        with self._lock:
            return bytes(self._sent)

    @property
    def exchanges(self) -> list[Exchange]:
        """The framed requests and the replies actually sent."""
        with self._lock:
            return list(self._exchanges)

    @property
    def requests(self) -> list[bytes]:
        """The framed requests, in order."""
        return [e.request for e in self.exchanges]

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions the simulator raised (it stops answering after the first)."""
        with self._lock:
            return list(self._errors)

    def clear(self) -> None:
        """Forget the records so far."""
        with self._lock:
            self._received.clear()
            self._sent.clear()
            self._exchanges.clear()

    def wait_for_requests(self, count: int, timeout_s: float = 2.0) -> list[bytes]:
        """Wait until at least ``count`` requests were framed (a write-only command has no
        reply to wait for); return the requests. Raises ``TimeoutError``."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._exchanges) >= count, timeout_s):
                raise TimeoutError(
                    f"{len(self._exchanges)} of {count} requests after {timeout_s} s"
                )
            return [e.request for e in self._exchanges]

    # -- the thread --------------------------------------------------------------------------
    def _run(self) -> None:
        assert self._fds is not None
        master, _slave, wake_r, _wake_w = self._fds
        while not self._stop.is_set():
            readable, _, _ = select.select([master, wake_r], [], [], self.idle_s)
            if wake_r in readable:
                return
            try:
                if master in readable:
                    self._serve(master, os.read(master, 4096), idle=False)
                elif self.simulator.pending:
                    self._serve(master, b"", idle=True)
            except Exception as exc:  # a simulator bug: record it, stop answering
                with self._lock:
                    self._errors.append(exc)
                return

    def _serve(self, master: int, data: bytes, idle: bool) -> None:
        with self._lock:
            self._received += data
        for exchange in self.simulator.receive(data, idle=idle):
            reply = self._apply_fault(exchange.reply)
            with self._lock:
                self._exchanges.append(Exchange(exchange.request, reply))
                self._sent += reply
                self._lock.notify_all()
            if reply:
                os.write(master, reply)

    def _due_fault(self, reply: bytes) -> Fault | None:
        """The fault to apply to ``reply`` now, counting it (None: send it intact)."""
        with self._lock:
            fault = self._fault
            if fault is None or not reply:
                return None
            if self._answered_since_fault < self.fault_after:
                self._answered_since_fault += 1
                return None
            if self.fault_for is not None and self._fault_count >= self.fault_for:
                return None
            self._fault_count += 1
            return fault

    def _apply_fault(self, reply: bytes) -> bytes:
        fault = self._due_fault(reply)
        if fault == "timeout":
            return b""
        if fault == "garbage":
            term = self.simulator.reply_terminator
            keep = term if term and reply.endswith(term) else b""
            size = max(1, len(reply) - len(keep))
            # Bytes 0x80-0xFF are never ASCII and never a terminator.
            return bytes(self._rng.randrange(0x80, 0x100) for _ in range(size)) + keep
        return reply


@contextmanager
def scripted(
    pairs: Sequence[tuple[bytes, bytes]], *, idle_s: float = 0.02
) -> Iterator[PtyInstrument]:
    """Run a :class:`ScriptedPeer` on a pty; on a clean exit assert the script ran exactly."""
    peer = ScriptedPeer(pairs)
    with PtyInstrument(peer, idle_s=idle_s) as pty:
        yield pty
        # Let the thread take what the driver wrote last (a write-only command); a request
        # that never came is reported below as an unused pair.
        with suppress(TimeoutError):
            pty.wait_for_requests(len(pairs), timeout_s=1.0)
    peer.assert_complete()


__all__ = ["Exchange", "Fault", "PtyInstrument", "ScriptedPeer", "SerialSimulator", "scripted"]
