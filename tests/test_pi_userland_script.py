"""scripts/test-pi-userland.sh: its command line, and the list of tests it runs inside the roots.

Only what runs in a second: bad arguments are refused with one line and exit 2 before anything
is installed or built (the whole check needs root and QEMU and takes minutes; it is run by hand
or by CI, see the README)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "test-pi-userland.sh"
PI_LIST = REPO / "tests" / "pi_userland.txt"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--arch", "x86", "--release", "bookworm"], "--arch must be arm64 or armhf, got 'x86'"),
        (["--arch", "arm64", "--release", "sid"], "--release must be bookworm or trixie"),
        (["--release", "bookworm"], "--arch is required"),
        (["--arch", "armhf"], "--release is required"),
        (["--arch"], "--arch needs a value"),
        (["--arch", "arm64", "--release", "trixie", "--bogus"], "unknown argument '--bogus'"),
        (["--arch", "arm64", "--release", "trixie", "--cache", str(REPO / "x")], "outside"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(args: list[str], named: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("test-pi-userland: ")
    assert named in lines[0]


def test_help_names_the_options() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--arch arm64|armhf", "--release bookworm|trixie", "--keep", "--cache"):
        assert option in result.stdout


def test_listed_test_files_exist_and_are_station_side() -> None:
    lines = [ln.strip() for ln in PI_LIST.read_text().splitlines()]
    files = [ln for ln in lines if ln and not ln.startswith("#")]
    assert len(files) == len(set(files)) > 30
    for name in files:
        assert (REPO / name).is_file(), f"{PI_LIST.name} names a missing file: {name}"
        text = (REPO / name).read_text()
        # what the roots do not have: a browser, PostgreSQL, the console
        for absent in ("selenium", "psycopg", "scorer.console"):
            assert absent not in text, f"{name} needs {absent}, which the Pi roots lack"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="checked after root")
def test_a_checkout_without_its_venv_is_refused_before_building(tmp_path: Path) -> None:
    """The host scorer runs from the checkout's .venv: without it the script says so at once
    (instead of building a root and waiting minutes for verdicts that cannot come)."""
    (tmp_path / "scripts").mkdir()
    copy = tmp_path / "scripts" / SCRIPT.name
    copy.write_text(SCRIPT.read_text())
    result = subprocess.run(
        ["bash", str(copy), "--arch", "arm64", "--release", "bookworm", "--cache", "/nonexistent"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"test-pi-userland: {tmp_path}/.venv/bin/benchscore is missing: run scripts/setup.sh first"
    ]
