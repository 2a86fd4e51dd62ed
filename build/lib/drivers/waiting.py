"""Waiting on the injected clock: for a moment to come, and for a chip's status flag to set.

Every driver that waits does so on its :class:`~benchscore.clock.Clock`, so a simulated clock
runs hours of measurement in seconds. Each helper reads the flag, then the clock, then sleeps,
in that order, so the bus sees the same transactions whichever driver polls.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from benchscore.clock import Clock
from drivers.errors import BusError
from drivers.registers import I2CDevice


def sleep_until(clock: Clock, when_s: float) -> None:
    """Sleep on ``clock`` until its monotonic time reaches ``when_s`` (not at all if past)."""
    delay = when_s - clock.monotonic()
    if delay > 0:
        clock.sleep(delay)


def poll_until(
    clock: Clock,
    ready: Callable[[], object],
    *,
    deadline_s: float,
    poll_s: float,
    timeout: Callable[[], BaseException],
    inclusive: bool = False,
) -> None:
    """Sleep ``poll_s`` at a time on ``clock`` until ``ready()`` is true.

    Raise ``timeout()`` when the clock is past ``deadline_s`` (``inclusive``: at or past it)
    and the flag is still not set.
    """
    while not ready():
        now = clock.monotonic()
        if (now >= deadline_s) if inclusive else (now > deadline_s):
            raise timeout()
        clock.sleep(poll_s)


def flag_timeout(dev: I2CDevice, register: int, what: str) -> BusError:
    """A status flag that never set: a BusError (ETIMEDOUT) naming device, address, register."""
    return BusError(dev.name, dev.address, register, TimeoutError(errno.ETIMEDOUT, what))


def poll_flag(
    dev: I2CDevice,
    clock: Clock,
    flag: Callable[[], object],
    *,
    register: int,
    what: str,
    deadline_s: float,
    poll_s: float,
) -> None:
    """Poll ``flag()`` (a bit of ``register``) until it is true; once the clock is past
    ``deadline_s``, raise :func:`flag_timeout` with ``what`` went wrong."""
    poll_until(
        clock,
        flag,
        deadline_s=deadline_s,
        poll_s=poll_s,
        timeout=lambda: flag_timeout(dev, register, what),
    )


def wait_for_avalid(
    dev: I2CDevice,
    clock: Clock,
    avalid: Callable[[], object],
    *,
    ready_at: float,
    integration_s: float,
    poll_s: float,
    register: int = 0x13,
) -> None:
    """Wait for a fresh ALS cycle of an ams light sensor (TSL2591, TCS34725).

    Sleep until ``ready_at`` (a whole integration after the cycle started, with margin), then
    poll STATUS.AVALID for up to two more integration times plus 50 ms.
    """
    sleep_until(clock, ready_at)
    poll_flag(
        dev,
        clock,
        avalid,
        register=register,
        what="AVALID not set after the integration time",
        deadline_s=clock.monotonic() + 2 * integration_s + 0.05,
        poll_s=poll_s,
    )
