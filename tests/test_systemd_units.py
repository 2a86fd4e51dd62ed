"""Every shipped unit passes `systemd-analyze verify` with no output at all.

The units start ``/usr/local/bin/benchscore`` (the install links it there); the test points
that one path at this checkout's ``benchscore`` so verify can check that it is executable.
Everything else in the unit is verified as shipped.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNITS = sorted((REPO / "systemd").glob("*.service"))
INSTALLED = "/usr/local/bin/benchscore"


def test_units_exist() -> None:
    assert {u.name for u in UNITS} == {"benchscore-station.service", "benchscore-scorer.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify_prints_nothing(unit: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze missing: scripts/setup.sh installs the systemd package"
    text = unit.read_text()
    assert f"ExecStart={INSTALLED} " in text
    binary = Path(sys.prefix) / "bin" / "benchscore"
    assert binary.exists(), binary
    copy = tmp_path / unit.name
    copy.write_text(text.replace(INSTALLED, str(binary)))
    out = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True)
    assert out.stdout + out.stderr == "", out.stdout + out.stderr


def test_station_unit_is_a_notify_service_with_a_watchdog() -> None:
    text = (REPO / "systemd" / "benchscore-station.service").read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "DynamicUser=yes",
        "SupplementaryGroups=i2c gpio dialout",
        "DevicePolicy=closed",
        "After=network-online.target time-sync.target",
    ):
        assert line in text
