"""The example third-party procedure (``examples/led_efficacy``), installed with pip into a
throwaway target directory (never the project's environment): a station lists it, runs it on
the simulated LED bench, its verdict reaches the scorer and the scorer's appeal re-analyses it
with the plugin's function; without it, a task that names it fails to load with one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from benchscore.plugins import GROUP
from tests.support.stations import write_station_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "led_efficacy"
TASK = EXAMPLE / "tasks" / "led_efficacy.toml"


def _env(target: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if target is not None:
        env["PYTHONPATH"] = str(target)
    return env


def _run(target: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=_env(target),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example installed (no network, no build isolation) into a fresh directory, from
    a copy of its source so the build leaves nothing in the repository."""
    root = tmp_path_factory.mktemp("plugin")
    source = shutil.copytree(EXAMPLE, root / "src", ignore=shutil.ignore_patterns("build"))
    target = root / "site"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    yield target
    # the project's environment never saw it
    assert "led_efficacy" not in {ep.name for ep in entry_points(group=GROUP)}


def test_a_station_lists_the_installed_plugin(target: Path) -> None:
    listed = _run(target, "-m", "benchscore", "station", "procedures")
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.startswith("led_efficacy "))
    assert "[benchscore-led-efficacy 0.1.0]" in line
    assert "roles: power, power_monitor, light_sensor;" in listed.stdout
    assert "led_assembly  [benchscore " in listed.stdout  # built-ins: the same mechanism
    without = _run(None, "-m", "benchscore", "station", "procedures")
    assert without.returncode == 0 and "led_efficacy" not in without.stdout


def test_its_verdict_reaches_the_scorer_and_its_appeal(
    mosquitto, target: Path, tmp_path: Path
) -> None:
    hall = _run(
        target, "-m", "tests.support.plugin_hall", str(mosquitto.port), str(tmp_path), str(TASK)
    )
    assert hall.returncode == 0, hall.stderr[-3000:]
    got = json.loads(hall.stdout.strip().splitlines()[-1])
    run = got["run"]
    assert (run["procedure"], run["task"], run["outcome"]) == (
        "led_efficacy",
        "led-efficacy-a",
        "pass",
    )
    verdicts = {m["name"]: m["outcome"] for m in run["payload"]["measurements"]}
    assert verdicts == {"efficacy_lx_per_w": "pass", "input_power_w": "pass"}
    rows = {r["name"]: r for r in got["appeal"]["measurements"]}
    assert {n: (r["status"], r["method"]) for n, r in rows.items()} == {
        "efficacy_lx_per_w": ("same", "led_efficacy"),
        "input_power_w": ("same", "led_efficacy"),
    }


def test_without_it_a_task_naming_it_fails_to_load_in_one_line(tmp_path: Path) -> None:
    config = write_station_config(tmp_path, "eff1", task=TASK)
    for action in ("run", "status"):
        done = _run(None, "-m", "benchscore", "station", action, "--config", str(config))
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert (
            "led_efficacy.toml: task.procedure: procedure 'led_efficacy' is not installed"
            in (lines[0])
        )
        assert "installed: led_assembly, led_screen, lighting_environment, power_bank" in lines[0]
