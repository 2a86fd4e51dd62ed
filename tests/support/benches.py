"""Simulated benches for procedure tests: a station config per assembly, hardware on a
SimClock, and a run that records what the procedure streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchscore.clock import SimClock
from firmware_py.config import StationConfig, load_station_config
from firmware_py.hardware import StationHardware
from firmware_py.procedures import PROCEDURES
from firmware_py.procedures.base import ProcedureResult
from tests.support.trust import TEST_SCORER_PUB

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "config" / "tasks"


def write_config(
    directory: Path,
    station_id: str,
    *,
    task: str,
    assembly: str,
    fault: str = "none",
    noise: bool = True,
    seed: int = 0,
    hardware: str = "",
    simulation: str = "",
) -> Path:
    """Write a simulated station config running ``config/tasks/<task>.toml``."""
    path = directory / f"{station_id}.toml"
    path.write_text(
        "\n".join(
            [
                "[station]",
                f'id = "{station_id}"',
                'event = "test"',
                f'task = "{TASKS / (task + ".toml")}"',
                f'state_dir = "{directory / station_id}"',
                f'scorer_key = "{TEST_SCORER_PUB}"',  # acks and commands of the test scorer
                "[hardware]",
                'backend = "sim"',
                hardware,
                "[simulation]",
                f'assembly = "{assembly}"',
                f'fault = "{fault}"',
                'clock = "sim"',
                f"noise = {'true' if noise else 'false'}",
                f"seed = {seed}",
                simulation,
            ]
        )
        + "\n"
    )
    return path


@dataclass
class Run:
    """What one procedure run produced."""

    result: ProcedureResult
    live: list[tuple[str, dict[str, float | None]]] = field(default_factory=list)
    curves: dict[str, list[dict[str, list[float]]]] = field(default_factory=dict)
    sim_seconds: float = 0.0

    def outcomes(self) -> dict[str, str]:
        return {m.name: m.outcome.value for m in self.result.measurements}

    def failing(self) -> set[str]:
        return {m.name for m in self.result.measurements if m.outcome.value == "fail"}

    def values(self) -> dict[str, float | None]:
        return {m.name: m.value for m in self.result.measurements}


def run(
    hw: StationHardware,
    *,
    on_live: Callable[[str, dict[str, float | None]], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    bench: Any = None,
) -> Run:
    """Open the bench (unless given) and run the task's procedure once."""
    bench = bench if bench is not None else hw.open_bench()
    task = hw.config.task
    record = Run(ProcedureResult())
    start = hw.clock.monotonic()

    def live(phase: str, values: dict[str, float | None]) -> None:
        record.live.append((phase, values))
        if on_live is not None:
            on_live(phase, values)

    def curve(name: str, columns: dict[str, list[float]]) -> None:
        record.curves.setdefault(name, []).append(columns)

    procedure = PROCEDURES[task.procedure](bench, task, hw.clock, live, should_stop, curve)
    record.result = procedure.run()
    record.sim_seconds = hw.clock.monotonic() - start
    return record


@contextmanager
def station(path: Path) -> Iterator[StationHardware]:
    """Hardware of the station config at ``path`` on a fresh SimClock; closed afterwards."""
    config: StationConfig = load_station_config(path)
    hw = StationHardware(config, SimClock())
    try:
        yield hw
    finally:
        hw.close()
