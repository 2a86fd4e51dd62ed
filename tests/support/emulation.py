"""Wall-clock allowances for tests that also run under QEMU user-mode emulation.

scripts/test-pi-userland.sh runs the station's tests inside arm64/armhf Debian roots under
QEMU, where Python runs several times slower than natively (and the machine is shared). It sets
``BENCHSCORE_TEST_EMULATED=1`` there; tests that wait on the wall clock take their allowance
from :func:`wall_s` so they keep their native bound natively and do not flake under emulation.
"""

from __future__ import annotations

import os

EMULATED = os.environ.get("BENCHSCORE_TEST_EMULATED") == "1"
SLOWDOWN = 10.0
"""How much longer a wall-clock allowance is under emulation."""


def wall_s(seconds: float) -> float:
    """A wall-clock allowance in seconds: ``seconds`` natively, ``SLOWDOWN`` times it emulated."""
    return seconds * SLOWDOWN if EMULATED else seconds
