"""What the TI INA219, INA226 and INA260 drivers share.

The INA226 (SBOS547) and INA260 (SBOS656) have the same configuration fields: AVG in bits
11:9, the bus conversion time in 8:6, the shunt (INA260: current) conversion time in 5:3 and
MODE in 2:0, where codes 1-3 are triggered (a configuration write starts one conversion).
All three chips flag a finished conversion (CNVR or CVRF) that a driver polls on its clock.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final, Protocol

from benchscore.clock import Clock
from drivers.waiting import poll_until

__all__ = [
    "AVERAGING_SAMPLES",
    "CONVERSION_TIME_S",
    "TRIGGERED_MODE_CODES",
    "AveragingCount",
    "ConversionTime",
    "check_triggered",
    "wait_for_conversion",
]

AVERAGING_SAMPLES: Final[tuple[int, ...]] = (1, 4, 16, 64, 128, 256, 512, 1024)
"""Samples averaged per result, indexed by the AVG code."""
CONVERSION_TIME_S: Final[tuple[float, ...]] = (
    140e-6,
    204e-6,
    332e-6,
    588e-6,
    1.1e-3,
    2.116e-3,
    4.156e-3,
    8.244e-3,
)
"""Conversion time of one sample in seconds, indexed by the VBUSCT/VSHCT/ISHCT code."""
TRIGGERED_MODE_CODES: Final = (1, 2, 3)
"""MODE codes of the triggered modes (shunt or current, bus, both)."""


class AveragingCount(IntEnum):
    """Config AVG (bits 11:9): samples averaged per result."""

    COUNT_1 = 0  # power-on default
    COUNT_4 = 1
    COUNT_16 = 2
    COUNT_64 = 3
    COUNT_128 = 4
    COUNT_256 = 5
    COUNT_512 = 6
    COUNT_1024 = 7

    @property
    def samples(self) -> int:
        """Get the number of samples averaged."""
        return AVERAGING_SAMPLES[self.value]


class ConversionTime(IntEnum):
    """Config VBUSCT (bits 8:6) and VSHCT/ISHCT (bits 5:3): ADC conversion time per sample."""

    TIME_140_US = 0
    TIME_204_US = 1
    TIME_332_US = 2
    TIME_588_US = 3
    TIME_1_1_MS = 4  # power-on default
    TIME_2_116_MS = 5
    TIME_4_156_MS = 6
    TIME_8_244_MS = 7

    @property
    def seconds(self) -> float:
        """Get the conversion time in seconds."""
        return CONVERSION_TIME_S[self.value]


def check_triggered(mode: int) -> None:
    """Raise ValueError unless ``mode`` is one of the triggered MODE codes."""
    if mode not in TRIGGERED_MODE_CODES:
        raise ValueError(f"{mode!r} is not a triggered mode")


class _Converting(Protocol):
    name: str
    address: int
    clock: Clock

    @property
    def conversion_ready(self) -> bool: ...


def wait_for_conversion(
    dev: _Converting, *, deadline_s: float, poll_s: float, timeout_s: float
) -> None:
    """Poll the conversion-ready flag every ``poll_s`` until it sets; raise TimeoutError (it
    says ``timeout_s``) once the clock reaches ``deadline_s``."""
    poll_until(
        dev.clock,
        lambda: dev.conversion_ready,
        deadline_s=deadline_s,
        poll_s=poll_s,
        timeout=lambda: TimeoutError(
            f"{dev.name} at 0x{dev.address:02X}: no conversion after {timeout_s} s"
        ),
        inclusive=True,
    )
