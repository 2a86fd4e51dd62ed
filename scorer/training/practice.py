"""One practice attempt on a simulated bench: the station's own procedure, drivers and limits
against the simulated assembly (``firmware_py.simulation``), with a fault to diagnose if the
trainer chose one; the result is the attempt's measurements, outcome and time taken.

The simulated bench runs on a SimClock, so a measurement takes about a second of wall time.
Simulated benches exist for tasks of the ``led_assembly`` procedure (the LED module, single,
tunable white or RGBW); other tasks are refused with one line.
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
PROCEDURES: Final = ("led_assembly",)


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


def faults() -> list[str]:
    from benchscore.sim.assemblies.led import LEDFault

    return [f.value for f in LEDFault]


def _station_file(directory: Path, task: Path, fault: str, seed: int, module: str) -> Path:
    path = directory / "practice-station.toml"
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
                'assembly = "led_assembly"',
                f'fault = "{fault}"',
                'clock = "sim"',
                f"seed = {seed}",
                f'led_module = "{module}"',
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
    from firmware_py.config import load_station_config
    from firmware_py.hardware import StationHardware
    from firmware_py.procedures import PROCEDURES as RUNNERS

    path = task_file(task)
    if fault not in faults():
        raise ValueError(f"--fault {fault!r} is not one of {', '.join(faults())}")
    started = time.time() if started_at is None else started_at
    text = path.read_text(encoding="utf-8")
    try:
        procedure = tomllib.loads(text).get("task", {}).get("procedure")
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    if procedure not in PROCEDURES:
        raise ValueError(
            f"{path.name} uses procedure {procedure!r}; simulated practice benches exist for: "
            f"{', '.join(PROCEDURES)} (a real bench: --from-station)"
        )
    module = "tunable_white" if "warm_cct_k" in text else "rgbw" if "red_" in text else "single"
    with tempfile.TemporaryDirectory(prefix="benchscore-practice-") as tmp:
        config = load_station_config(_station_file(Path(tmp), path, fault, seed, module))
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
