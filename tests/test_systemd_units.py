"""The shipped units: clean `systemd-analyze verify`, a low exposure score, the right user,
devices and directories, and a station that still runs with MemoryDenyWriteExecute.

The units start ``/usr/local/bin/benchscore`` (the install links it there); verify needs that
path to be executable, so the copies checked here point it at this checkout's ``benchscore``.
Everything else in the unit is checked as shipped. PID 1 here is not systemd: verify and
``security --offline=true`` work on the files alone.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support.brokers import Mosquitto
from tests.support.stations import write_station_config

REPO = Path(__file__).resolve().parents[1]
UNITS = sorted((REPO / "systemd").glob("*.service"))
INSTALLED = "/usr/local/bin/benchscore"
# Exposure score a unit must not exceed, in systemd-analyze's tenths (20 = "2.0" on its
# 0-10 scale). The old DynamicUser units scored 7.1; these score 1.3-1.5 (network access and,
# for the station, its devices are what remains).
EXPOSURE_THRESHOLD = 20


def analyze() -> str:
    found = shutil.which("systemd-analyze")
    assert found, "systemd-analyze missing: scripts/setup.sh installs the systemd package"
    return found


def runnable_copy(unit: Path, directory: Path) -> Path:
    """``unit`` with its ExecStart binary pointed at this checkout's ``benchscore``."""
    text = unit.read_text()
    assert f"ExecStart={INSTALLED} " in text
    binary = Path(sys.prefix) / "bin" / "benchscore"
    assert binary.exists(), binary
    copy = directory / unit.name
    copy.write_text(text.replace(INSTALLED, str(binary)))
    return copy


def directives(unit: Path) -> list[tuple[str, str]]:
    """(key, value) of every directive, comments dropped."""
    out = []
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.append((key, value))
    return out


def test_units_exist() -> None:
    assert {u.name for u in UNITS} == {"benchscore-station.service", "benchscore-scorer.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_systemd_analyze_verify_prints_nothing(unit: Path, tmp_path: Path) -> None:
    copy = runnable_copy(unit, tmp_path)
    out = subprocess.run([analyze(), "verify", str(copy)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout + out.stderr == "", out.stdout + out.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_exposure_is_below_the_threshold(unit: Path, tmp_path: Path) -> None:
    copy = runnable_copy(unit, tmp_path)
    out = subprocess.run(
        [analyze(), "security", "--offline=true", f"--threshold={EXPOSURE_THRESHOLD}", str(copy)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout[-600:] + out.stderr
    assert "Overall exposure level" in out.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_runs_as_the_static_service_user_with_its_directories(unit: Path) -> None:
    got = directives(unit)
    for pair in (
        ("User", "benchscore"),
        ("Group", "benchscore"),
        ("StateDirectory", "benchscore"),
        ("StateDirectoryMode", "0700"),
        ("ConfigurationDirectory", "benchscore"),
        ("Type", "notify"),
        ("Restart", "on-failure"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("UMask", "0077"),
    ):
        assert pair in got, pair
    assert "DynamicUser" not in dict(got)
    assert any(k == "WatchdogSec" for k, _ in got)
    role = unit.stem.removeprefix("benchscore-")
    assert ("ExecStart", f"{INSTALLED} {role} --config /etc/benchscore/{role}.toml") in got


def test_station_unit_allows_exactly_the_devices_a_station_uses() -> None:
    unit = REPO / "systemd" / "benchscore-station.service"
    got = directives(unit)
    allowed = sorted(v for k, v in got if k == "DeviceAllow")
    assert allowed == sorted(
        ["char-ttyUSB rw", "char-ttyACM rw", "char-i2c rw", "char-gpiochip rw"]
    )
    assert ("DevicePolicy", "closed") in got
    assert ("SupplementaryGroups", "i2c gpio dialout") in got
    # the i2c group of /proc/devices exists only once i2c-dev is loaded: load it first
    assert ("Wants", "network-online.target time-sync.target modprobe@i2c-dev.service") in got
    assert ("After", "network-online.target time-sync.target modprobe@i2c-dev.service") in got
    assert ("MemoryDenyWriteExecute", "yes") in got
    assert ("PrivateDevices", "yes") not in got


def test_scorer_unit_has_no_devices_and_starts_after_its_broker() -> None:
    got = directives(REPO / "systemd" / "benchscore-scorer.service")
    assert ("PrivateDevices", "yes") in got
    assert not any(k in ("DeviceAllow", "SupplementaryGroups") for k, _ in got)
    assert ("After", "network-online.target mosquitto.service postgresql.service") in got


MDWE_EXEC = textwrap.dedent(
    """
    # Turn on the kernel's memory-deny-write-execute (prctl PR_SET_MDWE, the same rule as
    # MemoryDenyWriteExecute=yes), prove it holds, then exec the command.
    import ctypes, mmap, os, sys
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(65, 1, 0, 0, 0) != 0:
        sys.exit("PR_SET_MDWE: " + os.strerror(ctypes.get_errno()))
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        sys.exit("MDWE is not in force: a writable executable mapping was allowed")
    except PermissionError:
        pass
    os.execv(sys.argv[1], sys.argv[1:])
    """
)


def test_station_runs_with_memory_deny_write_execute(tmp_path: Path) -> None:
    """A simulated station (numpy, paho, gpiozero, the drivers) starts and publishes under MDWE."""
    mdwe_ok = subprocess.run(
        [sys.executable, "-c", "import ctypes; print(ctypes.CDLL(None).prctl(66, 0, 0, 0, 0))"],
        capture_output=True,
        text=True,
    )
    if mdwe_ok.returncode != 0 or mdwe_ok.stdout.strip() not in ("0", "1"):
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")
    broker = Mosquitto(tmp_path).start()
    state = tmp_path / "state"
    state.mkdir()
    config = write_station_config(tmp_path, "st01", port=broker.port, auto_start_s=0.5)
    text = config.read_text().replace("[broker]", f'state_dir = "{state}"\n[broker]', 1)
    config.write_text(text)
    wrapper = tmp_path / "mdwe.py"
    wrapper.write_text(MDWE_EXEC)
    benchscore = str(Path(sys.prefix) / "bin" / "benchscore")
    sub = subprocess.Popen(
        [
            "mosquitto_sub",
            "-p",
            str(broker.port),
            "-t",
            "benchscore/#",
            "-v",
            "-C",
            "3",
            "-W",
            "30",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    station = subprocess.Popen(
        [sys.executable, str(wrapper), benchscore, "station", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        got, _ = sub.communicate(timeout=40)
        time.sleep(0.5)
        assert station.poll() is None, station.communicate()[0][-2000:]
    finally:
        station.terminate()
        log, _ = station.communicate(timeout=20)
        sub.kill()
        broker.stop()
    assert got.count("benchscore/") == 3, got + log[-2000:]
    assert "Traceback" not in log and "PR_SET_MDWE" not in log, log[-2000:]
