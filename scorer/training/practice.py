"""One practice attempt on a simulated bench: the station's own procedure, drivers and limits
against the simulated assembly (``firmware_py.simulation``), with a fault to diagnose if the
trainer chose one; the result is the attempt's measurements, outcome and time taken.

The simulated bench runs on a SimClock, so a measurement takes about a second of wall time.
Every procedure whose plugin names a simulated assembly has a practice bench (the LED module:
single, tunable white or RGBW; the lighting booth; the power bank; the LED screen); a
procedure without one is refused with one line.
"""

from __future__ import annotations

import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from benchscore.clock import SimClock

REPO_TASKS: Final = Path(__file__).resolve().parents[2] / "config" / "tasks"


@dataclass(frozen=True)
class Attempt:
    task: str
    fault: str
    started_at: float
    """Wall time the attempt started (s since the epoch)."""
    ended_at: float
    time_taken_s: float
    """How long the trainee took, measurement included (s)."""
    outcome: str
    measurements: list[dict[str, Any]]
    calibrations: list[str]
    """Ids of the calibrations the bench applied (evidence on a certificate)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_file(task: str) -> Path:
    """TASK as given: a task TOML file, or the name of one in the repository's config/tasks."""
    path = Path(task)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ValueError(f"task file {task} does not exist")
        return path.resolve()
    named = REPO_TASKS / f"{task}.toml"
    if not named.is_file():
        known = ", ".join(sorted(p.stem for p in REPO_TASKS.glob("*.toml")))
        raise ValueError(f"no task {task!r} (a task file, or one of: {known})")
    return named


def faults(assembly: str = "led_assembly") -> list[str]:
    """The faults a trainer can set on ``assembly``'s simulated bench."""
    from firmware_py.config.simulation import assembly_faults

    return assembly_faults(assembly)


def _station_file(
    directory: Path, task: Path, fault: str, seed: int, assembly: str, module: str
) -> Path:
    path = directory / "practice-station.toml"
    led = [f'led_module = "{module}"'] if assembly == "led_assembly" else []
    path.write_text(
        "\n".join(
            [
                "[station]",
                'id = "practice"',
                'event = "practice"',
                f"task = {str(task)!r}".replace("'", '"'),
                f"state_dir = {str(directory / 'state')!r}".replace("'", '"'),
                "[hardware]",
                'backend = "sim"',
                "[simulation]",
                f'assembly = "{assembly}"',
                f'fault = "{fault}"',
                'clock = "sim"',
                f"seed = {seed}",
                *led,
            ]
        )
        + "\n"
    )
    return path


def run_attempt(
    task: str,
    fault: str = "none",
    *,
    seed: int = 0,
    started_at: float | None = None,
    time_taken_s: float | None = None,
) -> Attempt:
    """Measure one attempt. ``time_taken_s``: the trainee's time (default: from
    ``started_at``, itself default now, to the end of the measurement)."""
    from benchscore.plugins import registry
    from firmware_py.config import load_station_config
    from firmware_py.config.simulation import ASSEMBLIES
    from firmware_py.hardware import StationHardware
    from firmware_py.procedures import PROCEDURES as RUNNERS

    path = task_file(task)
    started = time.time() if started_at is None else started_at
    text = path.read_text(encoding="utf-8")
    try:
        procedure = str(tomllib.loads(text).get("task", {}).get("procedure"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    try:
        assembly = registry.get(procedure).assembly
    except registry.UnknownProcedure as exc:
        raise ValueError(f"{path.name}: {exc}") from None
    if assembly not in ASSEMBLIES:
        raise ValueError(
            f"{path.name} uses procedure {procedure!r}, which has no simulated practice bench "
            f"(simulated: {', '.join(ASSEMBLIES)}; a real bench: --from-station)"
        )
    if fault not in faults(assembly):
        raise ValueError(f"--fault {fault!r} is not one of {', '.join(faults(assembly))}")
    module = "tunable_white" if "warm_cct_k" in text else "rgbw" if "red_" in text else "single"
    with tempfile.TemporaryDirectory(prefix="benchscore-practice-") as tmp:
        station = _station_file(Path(tmp), path, fault, seed, assembly, module)
        config = load_station_config(station)
        clock = SimClock()
        hw = StationHardware(config, clock)
        try:
            bench = hw.open_bench()
            runner = RUNNERS[config.task.procedure](
                bench, config.task, clock, lambda *_: None, lambda: False, lambda *_: None
            )
            result = runner.run()
        finally:
            hw.close()
    ended = time.time()
    taken = time_taken_s if time_taken_s is not None else max(0.0, ended - started)
    return Attempt(
        task=config.task.id,
        fault=fault,
        started_at=started,
        ended_at=started + taken,
        time_taken_s=round(taken, 3),
        outcome=result.outcome.value,
        measurements=[m.to_dict() for m in result.measurements],
        calibrations=list(result.calibrations),
    )
