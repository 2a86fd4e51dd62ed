"""Which exceptions are a person's bad input (one plain line, exit 2), which are the
surroundings (a broker down, a bus that does not answer: one line, exit 1), and which are bugs.

The ``benchscore`` command turns every exception that reaches it into one line through
:func:`describe`; ``benchscore --debug`` shows the traceback instead. Commands therefore raise
and do not print: a :class:`UserError` (or one of the builtin families below) with a message
that names the file, key or field and the reason.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

EXIT_BAD_INPUT = 2
"""A file, key, field or argument a person has to fix."""
EXIT_FAILED = 1
"""The command could not do its work (broker unreachable, hardware fault, a bug)."""


class UserError(Exception):
    """Bad input a person can fix; the message names the file, key or field and the reason."""


class SurroundingsError(Exception):
    """The surroundings failed, not the input: a bus or instrument that does not answer
    (:class:`drivers.errors.DriverError`), a database that cannot be used
    (:class:`scorer.db.StoreError`). One line, exit 1."""


@dataclass(frozen=True)
class Refusal:
    """What the command prints (one line) and its exit status."""

    message: str
    status: int


def one_line(text: str) -> str:
    """``text`` with its line breaks folded, so a refusal stays one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def _environment_errors() -> tuple[type[BaseException], ...]:
    """Errors of the surroundings (exit 1, no traceback)."""
    return (ConnectionError, TimeoutError, SurroundingsError)


def _text(exc: BaseException) -> str:
    """The exception's message without the quotes ``KeyError`` adds."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return one_line(text) or type(exc).__name__


def describe(exc: BaseException) -> Refusal | None:
    """The one-line refusal for ``exc``, or None for an exception nobody expected (a bug)."""
    if isinstance(exc, _environment_errors()):
        return Refusal(_text(exc), EXIT_FAILED)
    if isinstance(exc, OSError):
        if exc.filename is not None:
            reason = exc.strerror or _text(exc)
            return Refusal(f"{exc.filename}: {reason}", EXIT_BAD_INPUT)
        return Refusal(_text(exc), EXIT_FAILED)
    if isinstance(exc, sqlite3.DatabaseError):
        return Refusal(f"database: {_text(exc)}", EXIT_BAD_INPUT)
    if isinstance(exc, UserError | ValueError):
        return Refusal(_text(exc), EXIT_BAD_INPUT)
    return None
